#!/usr/bin/env bash
# DNS resolver QPS with the safeguarding console under load, in the same
# run: schoolgate serve (100,000 list entries, per-query logging on, the
# console on plain HTTP), dnsperf against it alone and while LOADERS
# parallel clients call the console's API (counts by day and by group, a
# named pupil's activity, the audit trail) as fast as it answers, rounds
# interleaved. Needs: go, dnsperf, dig, curl.
#
#   RUNS=3 DUR=10 LOADERS=4 bash bench/console/dnsload.sh
#   CONTROL=1 ...   the same clients on /api/v1/me only (the load generator's own cost)
#   PACE=1 ...      each client waits a second between calls (staff clicking, not a loop)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DUR=${DUR:-10}
LOADERS=${LOADERS:-4}
W=$(mktemp -d /tmp/schoolgate-consoleload.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "== machine: $(nproc) CPUs; $(uptime)"
go build -o "$W/schoolgate" ./cmd/schoolgate
go build -o "$W/upstream" ./bench/dns/upstream
go build -o "$W/gen" ./bench/dns/gen
(cd "$W" && ./gen -entries 100000 -queries 20000 -blocked 0.3)
"$W/upstream" -addr 127.0.0.1:5480 -ttl 3600 >"$W/upstream.log" 2>&1 &
pids+=($!)

cat >"$W/policy.yaml" <<YAML
site: {name: Bench School, timezone: Europe/London}
categories:
  blocked:
    sources: [{path: $W/blocked.txt, format: domains}]
groups:
  pupils: {networks: [127.0.0.0/8]}
default_group: pupils
rules:
  blocked: {others: block}
default: allow
dns:
  listen: ["127.0.0.1:5490"]
  upstreams: ["127.0.0.1:5480"]
  cache_size: 100000
  log_queries: true
admin:
  listen: 127.0.0.1:5491
console: {listen: 127.0.0.1:5492, tls: off}
YAML
export SCHOOLGATE_DATA="$W/data"
"$W/schoolgate" serve -c "$W/policy.yaml" --data "$W/data" >"$W/serve.log" 2>&1 &
pids+=($!)
until dig @127.0.0.1 -p 5490 +time=1 +tries=1 ready.allowed-example.org >/dev/null 2>&1; do sleep 0.05; done
until curl -s -o /dev/null http://127.0.0.1:5492/login; do sleep 0.05; done
echo "Kestrel-Harbour-Lantern-9" | "$W/schoolgate" users add bench-dsl --role dsl --password-stdin --by admin -c "$W/policy.yaml" --data "$W/data" >/dev/null
TOKEN=$("$W/schoolgate" tokens create --user bench-dsl --name bench -c "$W/policy.yaml" --data "$W/data")

perf() {
  dnsperf -s 127.0.0.1 -p 5490 -d "$W/queries.txt" -l "$DUR" -c 8 -q 500 -T 1 2>/dev/null |
    awk '/Queries per second/ {printf "%.0f\n", $4}'
}
median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# loader N: calls the API in a loop until killed, counting answers.
loader() {
  local n=0 paths=("/api/v1/activity/counts?by=day,category,verdict" "/api/v1/activity/counts?by=group,verdict"
    "/api/v1/activity?user=bench-dsl&limit=100" "/api/v1/audit?limit=100")
  if [ "${CONTROL:-}" = 1 ]; then
    # The control: the same clients calling the cheapest endpoint, to
    # tell the load generator's own cost (curl processes on the same
    # CPUs) from the console's.
    paths=("/api/v1/me" "/api/v1/me" "/api/v1/me" "/api/v1/me")
  fi
  while :; do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:5492${paths[$((n % 4))]}"
    n=$((n + 1))
    if [ -n "${PACE:-}" ]; then sleep "$PACE"; fi
    echo "$n" >"$W/loader-$1"
  done
}

perf >/dev/null # warm the cache and fill the activity log a little
alone=() loaded=() calls=()
for r in $(seq "$RUNS"); do
  alone+=("$(perf)")
  lp=()
  for i in $(seq "$LOADERS"); do echo 0 >"$W/loader-$i"; loader "$i" & lp+=($!); done
  loaded+=("$(perf)")
  for p in "${lp[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${lp[@]}" 2>/dev/null || true
  c=0; for i in $(seq "$LOADERS"); do c=$((c + $(cat "$W/loader-$i"))); done
  calls+=("$c")
  echo "round $r: alone ${alone[-1]} QPS, with the console under load ${loaded[-1]} QPS ($c API calls, $(echo "scale=1; $c / $DUR" | bc)/s); $(uptime | sed 's/.*load/load/')"
done
a=$(printf '%s\n' "${alone[@]}" | median)
l=$(printf '%s\n' "${loaded[@]}" | median)
echo "== median QPS: alone $a, console under load $l ($(echo "scale=1; 100 * ($a - $l) / $a" | bc) % lower); $(uptime | sed 's/.*load/load/')"
