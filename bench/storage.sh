#!/usr/bin/env bash
# Storage benchmarks: sustained activity ingestion through the real writer
# into SQLite and PostgreSQL, one-batch ingestion, roll-up, and (SEARCH=1)
# search over 10 million events on both back ends. With BASE=<git rev>, that
# revision's store runs the ingestion benchmarks in the same rounds,
# interleaved, for before/after ratios (the sustained benchmark file is
# copied into it, minus the roll-up it may not have).
# Needs: go, PostgreSQL 15 (started here with pg_ctlcluster if it is not
# running; a throwaway role and database are made and dropped).
#
#   bash bench/storage.sh                        # EVENTS=5000000 ROUNDS=2
#   BASE=fd4b88f bash bench/storage.sh           # also the code as of fd4b88f
#   EVENTS=20000000 ROUNDS=1 bash bench/storage.sh
#   SEARCH=1 bash bench/storage.sh               # builds two 10M-event logs once
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-5000000}
ROUNDS=${ROUNDS:-2}
BASE=${BASE:-}
SEARCH=${SEARCH:-}
W=$(mktemp -d /tmp/schoolgate-storagebench.XXXXXX)

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uptime)"
if ! su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1; then
  pg_ctlcluster 15 main start
  for _ in $(seq 1 50); do su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break; sleep 0.2; done
fi
db=sgbench_$$
role=sgbench_$$
su postgres -c "psql -qc \"create role $role login password '$role' superuser\"" >/dev/null
su postgres -c "createdb -O $role $db"
export SCHOOLGATE_TEST_POSTGRES="postgres://$role:$role@127.0.0.1:5432/$db?sslmode=disable"
cleanup() {
  su postgres -c "dropdb --if-exists $db" >/dev/null 2>&1 || true
  su postgres -c "dropdb --if-exists ${db}_search" >/dev/null 2>&1 || true
  su postgres -c "psql -qc \"drop role if exists $role\"" >/dev/null 2>&1 || true
  [ -n "$BASE" ] && git worktree remove --force "$W/base" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

go test -c -o "$W/new.test" ./internal/store
if [ -n "$BASE" ]; then
  git worktree add -q "$W/base" "$BASE"
  # The old tree gets this tree's sustained benchmark, with the writer's
  # defaults and without the roll-up it may not have.
  python3 - "$W/base/internal/store/sustained_test.go" <<'EOF'
import sys
src = open("internal/store/sustained_test.go").read()
src = src.replace("activity.WriterOptions{Writers: s.WriteConcurrency()}", "activity.WriterOptions{}")
a = src.index("\t// Then the hourly aggregates of all those hours")
b = src.index("}\n", src.index('b.Logf("rolled up'))
open(sys.argv[1], "w").write(src[:a] + src[b:])
EOF
  (cd "$W/base" && go test -c -o "$W/base.test" ./internal/store)
  echo "base: $(git log -1 --format='%h %s' "$BASE")"
fi
versions="new"
[ -n "$BASE" ] && versions="base new"
cd internal/store

for round in $(seq 1 "$ROUNDS"); do
  for backend in sqlite postgres; do
    for v in $versions; do
      echo "== round $round, $v, $backend, $EVENTS events through the writer (load $(cut -d' ' -f1-3 /proc/loadavg))"
      SCHOOLGATE_BENCH_SUSTAINED=$EVENTS "$W/$v.test" -test.run '^$' -test.bench "IngestSustained/$backend" \
        -test.benchtime 1x -test.timeout 60m -test.v 2>&1 | grep -E "sustained_test|^Benchmark"
    done
  done
done
echo "== one batch at a time, 327,680 events, 3 runs each, interleaved"
for _ in 1 2 3; do
  for v in $versions; do
    "$W/$v.test" -test.run '^$' -test.bench 'Ingest$' -test.benchtime 40x 2>&1 | grep '^Bench' | sed "s/^/$v /"
  done
done
echo "== roll-up, 1.44M events"
"$W/new.test" -test.run '^$' -test.bench 'Rollup' -test.benchtime 3x -test.count 3 2>&1 | grep '^Bench'
if [ -n "$SEARCH" ]; then
  echo "== search over 10M events (built once; SQLite in /tmp/schoolgate-search-10m.db)"
  su postgres -c "createdb -O $role ${db}_search"
  SCHOOLGATE_BENCH_10M=1 SCHOOLGATE_BENCH_10M_POSTGRES="postgres://$role:$role@127.0.0.1:5432/${db}_search?sslmode=disable" \
    "$W/new.test" -test.run '^$' -test.bench 'Search10M' -test.benchtime 5x -test.count 3 -test.timeout 60m -test.v 2>&1 | grep -E "built|^Benchmark"
fi
echo "== done $(date) (load $(cut -d' ' -f1-3 /proc/loadavg))"
