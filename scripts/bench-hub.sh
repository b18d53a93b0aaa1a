#!/usr/bin/env bash
# The hub gateway's speed (issue 9), on SQLite and, when TINHSO_TEST_POSTGRES
# is set, on PostgreSQL; loopback only, every loop bounded.
#
#   scripts/bench-hub.sh          # the Go benchmarks: 20,000 requests a case
#   WRK=1 scripts/bench-hub.sh    # and the issue's load comparison
#
# The Go benchmarks measure in one run the backend directly, a bare
# httputil.ReverseProxy, a bare fasthttp proxy and the gateway with
# everything on (bearer token, access check, rate limit, message log with
# group commit, operational monitoring), and the message log's writer
# alone.
#
# With WRK=1 it installs wrk and nginx from Debian's packages when they are
# missing (as root, with apt-get) and runs BenchmarkGatewayWrk (wrk -t2 -c64,
# 1 KB JSON: direct, nginx as a plain reverse proxy, ReverseProxy, fasthttp,
# the gateway) and BenchmarkGatewayFixedRate (5,000 requests a second with
# 1 KB answers and 100 a second with 1 MiB bodies each way, p99 direct and
# through the gateway, heap peak), each load run TINHSO_BENCH_SECONDS long
# (10 by default). See docs/perf.md for the figures and the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${BENCH_N:-20000}"
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg), $(git rev-parse --short HEAD)"
go test ./internal/hub/ -run '^$' -bench 'BenchmarkGateway$|BenchmarkLogWriter' -benchtime "${N}x" 2>&1 | grep -E '^(Benchmark|ok|FAIL)'

if [ "${WRK:-0}" = 1 ]; then
  if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get install -y -q wrk nginx-light >/dev/null
    else
      echo "wrk and nginx are needed (apt-get install wrk nginx-light)"; exit 1
    fi
  fi
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
  go test ./internal/hub/ -run '^$' -bench 'BenchmarkGatewayWrk|BenchmarkGatewayFixedRate' -benchtime 1x -timeout 30m 2>&1 | grep -E '^(Benchmark|ok|FAIL)'
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
