#!/usr/bin/env bash
# HTTP load benchmark of the upstream path, side by side in one run on loopback:
#   bare    – a bare Echo handler that reads the same POST body and answers 200;
#   ours    – Echo + middleware.WebPubSub + a handler.Hub on the same signed text user event
#             (decode, signature, route, state read, text reply);
#   reply   – (only with TARGETS="… reply …") bare plus the same answer ours sends (200,
#             text/plain; charset=utf-8, "bob:hello"): ours/reply is the like-for-like ratio;
#   quiet   – (only with TARGETS="… quiet …") ours with a func that reads the state and the
#             text but sends no reply (204, no body): ours' path with an answer as small as bare's;
#   route   – (only with TARGETS="… route …") the same hub on a plain Echo route, without
#             the middleware, to separate the middleware's cost from the hub's;
#   express – @azure/web-pubsub-express 1.1.0 on express 4.21.2 (interop/handler-express.mjs)
#             with the equivalent func.
# The servers run pinned to SERVER_CPU (Go with GOMAXPROCS=1, Node is single-threaded), wrk
# pinned to LOAD_CPU. Each target gets a warm-up and then DURATION of load, ROUNDS times,
# interleaved (bare, ours, express, bare, …) so drift on a shared machine hits all alike.
#
# Needs: go, node with interop/node_modules (cd interop && npm ci), wrk (apt-get install wrk),
# taskset (util-linux). Usage: bench/handler-http/run.sh  (env: TARGETS DURATION WARMUP ROUNDS CONNS
# SERVER_CPU LOAD_CPU). Prints one line per round (req/s and requests per server CPU-second)
# and the medians and ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-50}
SERVER_CPU=${SERVER_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}

for tool in wrk taskset go node; do
  command -v "$tool" >/dev/null || { echo "run.sh needs $tool" >&2; exit 1; }
done
[ -d "$root/interop/node_modules" ] || { echo "run (cd interop && npm ci) first" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && go build -o "$tmp/server" ./bench/handler-http/server)

# Go targets: prints BARE=<addr> and OURS=<addr>, writes the wrk scripts (the signed request;
# check.lua also prints the first answer).
GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$tmp/server" -lua "$tmp" >"$tmp/go.out" 2>"$tmp/go.err" &
pids+=($!)
# Express target: prints PORT=<port>; its stdin is a fifo held open until the end.
mkfifo "$tmp/stdin"
(cd "$root/interop" && exec taskset -c "$SERVER_CPU" node handler-express.mjs <"$tmp/stdin" >"$tmp/js.out" 2>"$tmp/js.err") &
pids+=($!)
exec 3>"$tmp/stdin"

wait_for() { # file pattern
  for _ in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $2 in $1" >&2; cat "$1" "${1%.out}.err" >&2 || true; exit 1
}
wait_for "$tmp/go.out" '^OURS='
wait_for "$tmp/js.out" '^PORT='

path=/api/webpubsub/hubs/chat/message
TARGETS=${TARGETS:-bare ours express}
declare -A url=(
  [route]="http://$(sed -n 's/^ROUTE=//p' "$tmp/go.out")$path"
  [reply]="http://$(sed -n 's/^REPLY=//p' "$tmp/go.out")$path"
  [quiet]="http://$(sed -n 's/^QUIET=//p' "$tmp/go.out")$path"
  [bare]="http://$(sed -n 's/^BARE=//p' "$tmp/go.out")$path"
  [ours]="http://$(sed -n 's/^OURS=//p' "$tmp/go.out")$path"
  [express]="http://127.0.0.1:$(sed -n 's/^PORT=//p' "$tmp/js.out")$path"
)

# Every target must answer the event correctly before it is measured.
for t in $TARGETS; do
  answer=$(taskset -c "$LOAD_CPU" wrk -t1 -c1 -d1s -s "$tmp/check.lua" "${url[$t]}" 2>&1 | sed -n 's/^CHECK //p')
  echo "check $t: $answer"
  case "$t:$answer" in
    bare:200*|ours:"200 text/plain; charset=utf-8 bob:hello"|route:"200 text/plain; charset=utf-8 bob:hello"|reply:"200 text/plain; charset=utf-8 bob:hello"|quiet:"204  "|express:"200 text/plain; charset=utf-8 bob:hello") ;;
    *) echo "unexpected answer from $t" >&2; exit 1 ;;
  esac
done

# Wall-clock req/s depends on how much CPU the server gets, which on a shared machine varies
# from second to second. Each run therefore also reads the server process's CPU time
# (user+system, /proc/<pid>/stat) before and after, and reports requests per CPU-second:
# the capacity of one dedicated core, which is what the ratios are computed from.
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A pid_of=([bare]="${pids[0]}" [ours]="${pids[0]}" [route]="${pids[0]}" [reply]="${pids[0]}" [quiet]="${pids[0]}" [express]="${pids[1]}")

measure() { # target → "<req/s> <req per cpu-second>"
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$tmp/event.lua" "${url[$1]}" >/dev/null
  local before after errs
  before=$(cpu_ticks "${pid_of[$1]}")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" -s "$tmp/event.lua" "${url[$1]}" >"$tmp/wrk.$1" 2>&1
  after=$(cpu_ticks "${pid_of[$1]}")
  errs=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$tmp/wrk.$1")
  [ "${errs:-0}" = 0 ] || { echo "$1: $errs non-2xx answers" >&2; cat "$tmp/wrk.$1" >&2; exit 1; }
  awk -v b="$before" -v a="$after" -v tck="$tck" '
    /^Requests\/sec:/ {rps = $2}
    / requests in / {n = $1}
    END {cpu = (a - b) / tck; printf "%.0f %.0f\n", rps, (cpu > 0 ? n / cpu : 0)}' "$tmp/wrk.$1"
}

declare -A all=() cpuall=()
ratio_bare="" ratio_express="" ratio_reply="" ratio_quiet=""
for r in $(seq "$ROUNDS"); do
  declare -A cur=() ccur=()
  for t in $TARGETS; do
    read -r v c < <(measure "$t")
    cur[$t]=$v ccur[$t]=$c
    all[$t]="${all[$t]:-} $v" cpuall[$t]="${cpuall[$t]:-} $c"
  done
  line="round $r  req/s:"
  for t in $TARGETS; do line="$line $t ${cur[$t]}"; done
  line="$line | req per CPU-s:"
  for t in $TARGETS; do line="$line $t ${ccur[$t]}"; done
  if [ -n "${ccur[ours]:-}" ] && [ -n "${ccur[bare]:-}" ]; then
    rb=$(awk -v o="${ccur[ours]}" -v b="${ccur[bare]}" 'BEGIN {printf "%.3f", o/b}')
    ratio_bare="$ratio_bare $rb" line="$line | ours/bare $rb"
  fi
  if [ -n "${ccur[ours]:-}" ] && [ -n "${ccur[express]:-}" ]; then
    rx=$(awk -v o="${ccur[ours]}" -v x="${ccur[express]}" 'BEGIN {printf "%.2f", o/x}')
    ratio_express="$ratio_express $rx" line="$line ours/express $rx"
  fi
  if [ -n "${ccur[ours]:-}" ] && [ -n "${ccur[reply]:-}" ]; then
    rr=$(awk -v o="${ccur[ours]}" -v x="${ccur[reply]}" 'BEGIN {printf "%.3f", o/x}')
    ratio_reply="$ratio_reply $rr" line="$line ours/reply $rr"
  fi
  if [ -n "${ccur[quiet]:-}" ] && [ -n "${ccur[bare]:-}" ]; then
    rq=$(awk -v o="${ccur[quiet]}" -v x="${ccur[bare]}" 'BEGIN {printf "%.3f", o/x}')
    ratio_quiet="$ratio_quiet $rq" line="$line quiet/bare $rq"
  fi
  if [ -n "${ccur[ours]:-}" ] && [ -n "${ccur[route]:-}" ]; then
    line="$line ours/route $(awk -v o="${ccur[ours]}" -v x="${ccur[route]}" 'BEGIN {printf "%.3f", o/x}')"
  fi
  echo "$line"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo
echo "wrk -t1 -c$CONNS -d$DURATION (+$WARMUP warm-up), $ROUNDS rounds, server cpu $SERVER_CPU, load cpu $LOAD_CPU"
for t in $TARGETS; do
  printf '%-8s median req/s %8s   median req per CPU-second %8s\n' "$t" "$(echo "${all[$t]}" | median)" "$(echo "${cpuall[$t]}" | median)"
done
med() { if [ -n "${1// /}" ]; then echo "$1" | median; else echo n/a; fi; }
echo "median of the per-round ratios (req per CPU-second): ours/bare = $(med "$ratio_bare")   ours/express = $(med "$ratio_express")   ours/reply = $(med "$ratio_reply")   quiet/bare = $(med "$ratio_quiet")"
