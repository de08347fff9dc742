#!/usr/bin/env bash
# Per-call overhead of service.Client over raw net/http with the loopback "service" in
# its own process, as a real service is: bench/service/server runs pinned to SERVER_CPU
# (GOMAXPROCS=1), the benchmark (client, raw net/http and a bare azcore pipeline, one
# call of each per iteration) pinned to LOAD_CPU. ROUNDS runs of
# BenchmarkSendToAllInterleaved; each prints client-, raw- and floor-ns/op and the
# overheads over raw. Needs go and taskset (util-linux).
# Usage: bench/service/run.sh  (env: ROUNDS BENCHTIME SERVER_CPU LOAD_CPU)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-2s}
SERVER_CPU=${SERVER_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
command -v taskset >/dev/null || { echo "run.sh needs taskset" >&2; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

(cd "$root" && go build -o "$tmp/server" ./bench/service/server && go test -c -o "$tmp/service.test" ./service)
GOMAXPROCS=1 taskset -c "$SERVER_CPU" "$tmp/server" >"$tmp/server.out" &
pid=$!
for _ in $(seq 100); do grep -q '^URL=' "$tmp/server.out" && break; sleep 0.1; done
url=$(sed -n 's/^URL=//p' "$tmp/server.out")
[ -n "$url" ] || { echo "server did not start" >&2; exit 1; }
echo "server $url on cpu $SERVER_CPU, benchmark on cpu $LOAD_CPU"
for i in $(seq "$ROUNDS"); do
  WEBPUBSUB_BENCH_SERVER=$url taskset -c "$LOAD_CPU" "$tmp/service.test" -test.run XXX \
    -test.bench 'SendToAllInterleaved' -test.benchtime "$BENCHTIME" -test.benchmem | grep '^Benchmark'
done
