#!/usr/bin/env bash
# CPU and system calls an exchange, for the hub gateway's speed (issue 9):
# on a noisy machine requests per second vary by a quarter from one run to
# the next; the CPU the process spends an exchange varies far less.
#
#   scripts/bench-hub-cpu.sh [CASE] [BINARY]
#
# CASE is one of BenchmarkGatewayWrk's (gateway, fasthttp, reverseproxy,
# nginx, direct; gateway by default), on SQLite. BINARY is a test binary
# of internal/hub (go test -c), built from the working tree when not
# given, so that two builds can be compared in turn. It starts the wrk
# run, waits half a second, then reads /proc for four seconds: the bench
# process's CPU (backend and proxy, both in it) and its read and write
# system calls, and wrk's CPU, each divided by the requests served.
# Needs wrk (WRK=1 scripts/bench-hub.sh installs it); loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
case="${1:-gateway}"
bin="${2:-}"
if [ -z "$bin" ]; then
  bin="$(mktemp -d)/hub.test"
  go test -c -o "$bin" ./internal/hub/
fi
bin="$(realpath "$bin")"
out="$(mktemp)"
cd internal/hub
TINHSO_TEST_POSTGRES='' TINHSO_BENCH_CASES="$case" TINHSO_BENCH_SECONDS=6 \
  "$bin" -test.run '^$' -test.bench 'BenchmarkGatewayWrk/sqlite' -test.benchtime 1x >"$out" 2>&1 &
pid=$!
wrk=""
for _ in $(seq 1 1200); do # up to two minutes for the world to be built
  wrk="$(pgrep -P "$pid" wrk || true)"
  [ -n "$wrk" ] && break
  sleep 0.1
done
[ -n "$wrk" ] || { echo "wrk did not start"; cat "$out"; kill "$pid"; exit 1; }
sleep 0.5
snap() {
  echo "$(awk '/^syscr|^syscw/{printf "%s ", $2}' /proc/"$pid"/io)$(awk '{printf "%s ", $14+$15}' /proc/"$pid"/stat)$(awk '{printf "%s ", $14+$15}' /proc/"$wrk"/stat)$(date +%s.%N)"
}
a="$(snap)"; sleep 4; b="$(snap)"
wait "$pid"
rps="$(grep -o "[0-9.]* *$case-req/s" "$out" | awk '{print $1}')"
[ -n "$rps" ] || { cat "$out"; exit 1; }
hz="$(getconf CLK_TCK)"
echo "$a $b" | awk -v c="$case" -v r="$rps" -v hz="$hz" '{ d = $10 - $5;
  printf "%s: %s requests/s; an exchange: process CPU %.0f µs, wrk CPU %.0f µs, %.1f reads, %.1f writes (process at %.2f cores)\n",
    c, r, ($8 - $3) / hz * 1e6 / d / r, ($9 - $4) / hz * 1e6 / d / r, ($6 - $1) / d / r, ($7 - $2) / d / r, ($8 - $3) / hz / d }'
rm -f "$out"
