#!/usr/bin/env bash
# The hub gateway's speed (issue 9): the Go benchmark, which measures in one
# run the backend directly, a bare httputil.ReverseProxy, a bare fasthttp
# proxy and the gateway with everything on (bearer token, access check, rate
# limit, message log with group commit, operational monitoring), on SQLite
# and, when TINHSO_TEST_POSTGRES is set, on PostgreSQL. Loopback only; the
# loops are bounded (-benchtime N requests per case).
#
#   scripts/bench-hub.sh            # 20,000 requests per case
#   BENCH_N=5000 scripts/bench-hub.sh
#
# With WRK=1 it also installs wrk and nginx from Debian's packages (when
# apt-get can) and prints the issue's wrk comparison commands' figures for
# the direct backend and nginx as a plain reverse proxy, 10 s each, 64
# connections; the gateway's own wrk run needs a running `tinhso demo` and
# its printed token (see docs/perf.md).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${BENCH_N:-20000}"
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./internal/hub/ -run '^$' -bench 'BenchmarkGateway' -benchtime "${N}x" 2>&1 | grep -E '^(Benchmark|ok|FAIL)'

if [ "${WRK:-0}" = 1 ]; then
  if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get install -y -q wrk nginx-light >/dev/null
    else
      echo "wrk and nginx are needed (apt-get install wrk nginx-light)"; exit 1
    fi
  fi
  tmp=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
  # A 1 KB JSON backend in Go on :18081, nginx proxying it on :18082.
  cat >"$tmp/backend.go" <<'GO'
package main

import (
	"net/http"
	"strings"
)

func main() {
	body := []byte("{\"ket_qua\":\"" + strings.Repeat("x", 1000) + "\"}")
	http.ListenAndServe("127.0.0.1:18081", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}
GO
  (cd "$tmp" && go run backend.go) &
  cat >"$tmp/nginx.conf" <<NGINX
worker_processes 2; pid $tmp/nginx.pid; error_log $tmp/error.log; daemon off;
events { worker_connections 1024; }
http { access_log off; upstream b { server 127.0.0.1:18081; keepalive 64; }
  server { listen 127.0.0.1:18082; location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
NGINX
  nginx -c "$tmp/nginx.conf" &
  sleep 3
  echo "## wrk -t2 -c64 -d10s direct"; wrk -t2 -c64 -d10s http://127.0.0.1:18081/ | grep -E 'Requests/sec|Latency'
  echo "## wrk -t2 -c64 -d10s nginx";  wrk -t2 -c64 -d10s http://127.0.0.1:18082/ | grep -E 'Requests/sec|Latency'
fi
