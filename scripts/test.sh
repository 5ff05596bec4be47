#!/usr/bin/env bash
# Takes a fresh machine (Go, gcc, PostgreSQL 15 installed but stopped) to a
# full test run: installs the real clients the tests drive (dig, curl,
# Chromium), starts PostgreSQL with a throwaway database, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# PostgreSQL: the storage tests run against it as well as SQLite.
if [ -z "${SCHOOLGATE_TEST_POSTGRES:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster 15 main start 2>/dev/null || true
  for _ in $(seq 1 30); do
    su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
    sleep 0.5
  done
  db="schoolgate_test_$$"
  su postgres -c "psql -qc \"drop role if exists schoolgate_test\"" >/dev/null 2>&1 || true
  su postgres -c "psql -qc \"create role schoolgate_test login password 'schoolgate_test' superuser\"" >/dev/null
  su postgres -c "createdb -O schoolgate_test $db"
  export SCHOOLGATE_TEST_POSTGRES="postgres://schoolgate_test:schoolgate_test@127.0.0.1:5432/$db?sslmode=disable"
  trap 'su postgres -c "dropdb --if-exists $db" >/dev/null 2>&1 || true' EXIT
  echo "== PostgreSQL test database $db"
fi

export SCHOOLGATE_SHARED="${SCHOOLGATE_SHARED:-$(cd .. && pwd)/shared}"
echo "== go vet"
go vet ./...
echo "== go test -race (policy engine, activity writer, proxy)"
go test -race -count=1 ./internal/policy/... ./internal/activity ./internal/proxy/...
echo "== go test"
go test -count=1 -timeout 15m ./... 2>&1 | tee /tmp/schoolgate-test.log
