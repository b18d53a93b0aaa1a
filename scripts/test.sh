#!/usr/bin/env bash
# The test command (README): go vet and go test -race over the whole tree, on
# SQLite and on a throw-away local PostgreSQL, with the browser tests in
# Debian's Chromium and the hub's time-stamping tests against OpenSSL's
# authority. Installs what it needs with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ]; then
  echo "== installing PostgreSQL (apt-get)"
  apt_install postgresql
fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Chromium (apt-get)"
  apt_install chromium
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "== installing OpenSSL (apt-get), the hub's time-stamping authority in tests"
  apt_install openssl
fi

# A private PostgreSQL cluster on a free loopback port, removed on exit.
PGBIN=$(pg_bin)
PGDIR=$(mktemp -d /tmp/tinhso-pg.XXXXXX)
PGPORT=$(( 20000 + RANDOM % 20000 ))
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
cleanup() {
  run_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT
run_pg "$PGBIN/initdb" -D "$PGDIR/data" -U tinhso --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
run_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U tinhso tinhso_test
export TINHSO_TEST_POSTGRES="postgres://tinhso@127.0.0.1:$PGPORT/tinhso_test?sslmode=disable"
export TINHSO_TEST_CHROMIUM=$(command -v chromium)

echo "== gofmt"
unformatted=$(gofmt -l cmd internal)
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi
echo "== go vet"
go vet ./...
echo "== go test -race (SQLite + PostgreSQL + Chromium)"
out="$PGDIR/go-test.log"
if ! go test -race -count=1 -timeout 30m ./... 2>&1 | tee "$out"; then
  # A CI log keeps only its tail: say again what failed, and each data
  # race's report (both stacks), so the cause is in what is kept.
  echo "== data races reported above"
  awk '/^WARNING: DATA RACE/ {p = 1; n = 0} p {print; n++} p && n > 1 && /^==================$/ {p = 0}' "$out" | head -n 300
  echo "== failed"
  grep -E '^(--- FAIL|FAIL|panic:)' "$out" || true
  exit 1
fi
