#!/usr/bin/env bash
# A/B HTTP load of the hub's hot path: the bench/handler-http server built from an older
# commit (BASE, default the commit before this round's handler work) against the work tree,
# both serving the same signed text user event with state. Rounds alternate old/new (and
# bare Echo from the new binary) so drift on a shared machine hits all alike; the servers run
# pinned to SERVER_CPU with GOMAXPROCS=1, wrk pinned to LOAD_CPU. Reports per round and as
# medians: requests per server CPU-second (requests ÷ the server's user+system CPU time from
# /proc/<pid>/stat) and new/old, ours/bare.
#
# Needs go, git, wrk, taskset. Usage: bench/handler/ab.sh  (env: BASE TARGET DURATION
# WARMUP ROUNDS CONNS SERVER_CPU LOAD_CPU; TARGET is OURS (Echo + middleware + hub) or
# ROUTE (the hub on a plain Echo route)).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BASE=${BASE:-ad97038}
TARGET=${TARGET:-OURS}
DURATION=${DURATION:-4s}
WARMUP=${WARMUP:-1s}
ROUNDS=${ROUNDS:-7}
CONNS=${CONNS:-50}
SERVER_CPU=${SERVER_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}

for tool in wrk taskset go git; do
  command -v "$tool" >/dev/null || { echo "ab.sh needs $tool" >&2; exit 1; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/src-old"
git -C "$root" archive "$BASE" | tar -x -C "$tmp/src-old"
(cd "$tmp/src-old" && go build -o "$tmp/server-old" ./bench/handler-http/server)
(cd "$root" && go build -o "$tmp/server-new" ./bench/handler-http/server)

start() { # name binary
  mkdir "$tmp/$1"
  GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$2" -lua "$tmp/$1" >"$tmp/$1.out" 2>"$tmp/$1.err" &
  pids+=($!)
  echo $! >"$tmp/$1.pid"
  for _ in $(seq 100); do
    grep -q '^OURS=' "$tmp/$1.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server $1 did not start" >&2; cat "$tmp/$1.err" >&2; exit 1
}
start old "$tmp/server-old"
start new "$tmp/server-new"

path=/api/webpubsub/hubs/chat/message
declare -A url=(
  [old]="http://$(sed -n "s/^$TARGET=//p" "$tmp/old.out")$path"
  [new]="http://$(sed -n "s/^$TARGET=//p" "$tmp/new.out")$path"
  [bare]="http://$(sed -n 's/^BARE=//p' "$tmp/new.out")$path"
)
declare -A pid_of=([old]=$(cat "$tmp/old.pid") [new]=$(cat "$tmp/new.pid") [bare]=$(cat "$tmp/new.pid"))

for t in old new; do
  answer=$(taskset -c "$LOAD_CPU" wrk -t1 -c1 -d1s -s "$tmp/new/check.lua" "${url[$t]}" 2>&1 | sed -n 's/^CHECK //p')
  echo "check $t: $answer"
  [ "$answer" = "200 text/plain; charset=utf-8 bob:hello" ] || { echo "unexpected answer from $t" >&2; exit 1; }
done

tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # target → requests per server CPU-second
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$tmp/new/event.lua" "${url[$1]}" >/dev/null
  local before after
  before=$(cpu_ticks "${pid_of[$1]}")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" -s "$tmp/new/event.lua" "${url[$1]}" >"$tmp/wrk.$1" 2>&1
  after=$(cpu_ticks "${pid_of[$1]}")
  if grep -q 'Non-2xx' "$tmp/wrk.$1"; then echo "$1: non-2xx answers" >&2; cat "$tmp/wrk.$1" >&2; exit 1; fi
  awk -v b="$before" -v a="$after" -v tck="$tck" '
    / requests in / {n = $1}
    END {cpu = (a - b) / tck; printf "%.0f\n", (cpu > 0 ? n / cpu : 0)}' "$tmp/wrk.$1"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
r_new="" r_bare_new="" r_bare_old="" all_old="" all_new="" all_bare=""
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="bare old new"; else order="new old bare"; fi
  declare -A c=()
  for t in $order; do c[$t]=$(measure "$t"); done
  nr=$(awk -v a="${c[new]}" -v b="${c[old]}" 'BEGIN {printf "%.3f", a/b}')
  bn=$(awk -v a="${c[new]}" -v b="${c[bare]}" 'BEGIN {printf "%.3f", a/b}')
  bo=$(awk -v a="${c[old]}" -v b="${c[bare]}" 'BEGIN {printf "%.3f", a/b}')
  r_new="$r_new $nr" r_bare_new="$r_bare_new $bn" r_bare_old="$r_bare_old $bo"
  all_old="$all_old ${c[old]}" all_new="$all_new ${c[new]}" all_bare="$all_bare ${c[bare]}"
  echo "round $r  req per CPU-s: bare ${c[bare]} old ${c[old]} new ${c[new]} | new/old $nr  old/bare $bo  new/bare $bn"
done
echo
echo "$TARGET, base $BASE, wrk -t1 -c$CONNS -d$DURATION (+$WARMUP warm-up), $ROUNDS rounds"
echo "medians, req per CPU-second: bare $(echo "$all_bare" | median)  old $(echo "$all_old" | median)  new $(echo "$all_new" | median)"
echo "median of per-round ratios: new/old $(echo "$r_new" | median)  old/bare $(echo "$r_bare_old" | median)  new/bare $(echo "$r_bare_new" | median)"
