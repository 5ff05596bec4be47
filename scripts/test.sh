#!/usr/bin/env bash
# Takes a fresh machine (Go, gcc, PostgreSQL 15 installed but stopped) to a
# full test run: installs the real clients the tests drive (dig, curl,
# Chromium, mailpit), starts PostgreSQL with a throwaway role and database, runs
# every test. It leaves the machine as it found it: the role and database
# are dropped, PostgreSQL is stopped again if this script started it, and
# the log (in a mktemp -d folder) is kept only when a test failed. Also
# installed: poppler's pdftotext and pdftoppm (the governors' report's PDF),
# slapd (a real LDAP directory for the directory-sync tests).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils) # the governors' report's PDF: pdftotext, pdftoppm
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need+=(slapd) # a real LDAP directory for users sync
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# mailpit: the real SMTP server the alert e-mail tests send to and read
# back (a Go module, pinned; the tests find it on PATH or in GOPATH/bin).
export PATH="$(go env GOPATH)/bin:$PATH"
if ! command -v mailpit >/dev/null 2>&1; then
  echo "== installing mailpit"
  go install github.com/axllent/mailpit@v1.33.1
fi

logdir="$(mktemp -d "${TMPDIR:-/tmp}/schoolgate-test.XXXXXX")"
pg_started=""
pg_role=""
ok=""

cleanup() {
  if [ -n "$pg_role" ]; then
    # Tests are over: end any connection left, then drop database and role.
    su postgres -c "psql -qX" >/dev/null 2>&1 <<SQL || true
drop database if exists $pg_role with (force);
drop role if exists $pg_role;
SQL
  fi
  if [ -n "$pg_started" ]; then
    echo "== stopping PostgreSQL (this script started it)"
    pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
  fi
  if [ -n "$ok" ]; then
    rm -rf "$logdir"
  else
    echo "== log kept in $logdir"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# PostgreSQL: the storage tests run against it as well as SQLite.
if [ -z "${SCHOOLGATE_TEST_POSTGRES:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_ctlcluster 15 main status >/dev/null 2>&1; then
    echo "== starting PostgreSQL 15"
    pg_ctlcluster 15 main start
    pg_started=1
  fi
  for _ in $(seq 1 30); do
    su postgres -c "psql -qAtXc 'select 1'" >/dev/null 2>&1 && break
    sleep 0.5
  done
  # A role and database of this run's own, with a random password that
  # never appears on a command line.
  pg_role="schoolgate_test_$$_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  pg_pass="$(openssl rand -hex 24 2>/dev/null || od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  su postgres -c "psql -qX -v ON_ERROR_STOP=1" >/dev/null <<SQL
create role $pg_role login password '$pg_pass';
create database $pg_role owner $pg_role;
SQL
  export SCHOOLGATE_TEST_POSTGRES="postgres://$pg_role:$pg_pass@127.0.0.1:5432/$pg_role?sslmode=disable"
  echo "== PostgreSQL test role and database $pg_role"
fi

export SCHOOLGATE_SHARED="${SCHOOLGATE_SHARED:-$(cd .. && pwd)/shared}"
echo "== go vet"
go vet ./...
echo "== go test -race (policy engine, activity writer, proxy)"
go test -race -count=1 ./internal/policy/... ./internal/activity ./internal/proxy/... 2>&1 | tee "$logdir/race.log"
echo "== go test"
go test -count=1 -timeout 15m ./... 2>&1 | tee "$logdir/test.log"
ok=1
