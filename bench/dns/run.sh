#!/usr/bin/env bash
# DNS resolver benchmark: schoolgate serve (1,000,000 list entries, per-query
# logging off and on) against dnsmasq as a caching forwarder, all on
# loopback in front of the same local upstream, measured with dnsperf in the
# same run. Needs: go, dnsperf, dnsmasq (Debian: dnsperf, dnsmasq-base), dig.
#
#   bash bench/dns/run.sh            # RUNS=3 DUR=20 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
DUR=${DUR:-20}
W=$(mktemp -d /tmp/schoolgate-dnsbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== building into $W"
go build -o "$W/schoolgate" ./cmd/schoolgate
go build -o "$W/upstream" ./bench/dns/upstream
go build -o "$W/gen" ./bench/dns/gen
go build -o "$W/pct" ./bench/dns/pct
(cd "$W" && ./gen -entries 1000000 -queries 20000 -blocked 0.3)

"$W/upstream" -addr 127.0.0.1:5400 >"$W/upstream.log" 2>&1 &
pids+=($!)

policy() { # $1 = log_queries, $2 = dns port, $3 = admin port
  cat <<YAML
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
  listen: ["127.0.0.1:$2"]
  upstreams: ["127.0.0.1:5400"]
  cache_size: 100000
  log_queries: $1
admin:
  listen: 127.0.0.1:$3
YAML
}

now() { date +%s.%N; }

# start_sg NAME LOG PORT ADMIN: starts serve; writes seconds to the first
# answer to $W/NAME/ready. (Not in a subshell: pids must be remembered.)
start_sg() {
  mkdir -p "$W/$1"
  policy "$2" "$3" "$4" >"$W/$1/policy.yaml"
  local t0; t0=$(now)
  "$W/schoolgate" serve -c "$W/$1/policy.yaml" --data "$W/$1/data" >"$W/$1/log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  echo "$pid" >"$W/$1/pid"
  until dig @127.0.0.1 -p "$3" +time=1 +tries=1 ready.allowed-example.org >/dev/null 2>&1; do sleep 0.01; done
  echo "$(now) - $t0" | bc >"$W/$1/ready"
}

rss() { grep -E "^$2:" "/proc/$1/status" | awk '{print $2/1024 " MB"}'; }

echo "== starting schoolgate (log_queries: false and true) and dnsmasq"
start_sg off false 5390 9190
start_sg on true 5392 9192
ready_off=$(cat "$W/off/ready")
ready_on=$(cat "$W/on/ready")
dnsmasq --no-daemon --port=5391 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --server=127.0.0.1#5400 --cache-size=100000 --log-facility="$W/dnsmasq.log" &
pids+=($!)
sleep 0.5
pid_off=$(cat "$W/off/pid")
echo "time until ready (start to first answer): log off ${ready_off}s, log on ${ready_on}s"
echo "RSS after load (log off): $(rss "$pid_off" VmRSS), peak so far $(rss "$pid_off" VmHWM)"

# Warm every cache with one pass over the query file.
for port in 5390 5391 5392; do dnsperf -s 127.0.0.1 -p $port -d "$W/queries.txt" -n 1 -q 200 >/dev/null; done
echo "RSS after warm-up (log off): $(rss "$pid_off" VmRSS)"

qps() { # $1 = port; prints QPS
  dnsperf -s 127.0.0.1 -p "$1" -d "$W/queries.txt" -l "$DUR" -c 8 -q 500 -T 1 2>/dev/null |
    awk '/Queries per second/ {print $4}'
}
echo "== throughput: $RUNS rounds of ${DUR}s each, interleaved"
for i in $(seq "$RUNS"); do
  a=$(qps 5390); b=$(qps 5391); c=$(qps 5392)
  echo "round $i: schoolgate-log-off $a  dnsmasq $b  schoolgate-log-on $c"
done

echo "== latency under full load (dnsperf -v, 10 s each)"
for port in 5390 5391 5392; do
  printf "port %s: " $port
  dnsperf -s 127.0.0.1 -p $port -d "$W/queries.txt" -l 10 -c 8 -q 500 -T 1 -v 2>/dev/null | "$W/pct"
done

echo "== reload with 1M entries (SIGHUP), log off instance"
( peak=0; while kill -0 "$pid_off" 2>/dev/null; do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid_off/status"); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$W/peak"
    sleep 0.01; done ) &
sampler=$!
before=$(grep -c "policy reloaded" "$W/off/log" || true)
kill -HUP "$pid_off"
until [ "$(grep -c 'policy reloaded' "$W/off/log" || true)" -gt "$before" ]; do sleep 0.05; done
sleep 0.5
kill $sampler 2>/dev/null || true
echo "during reload: sampled peak VmRSS $(( $(cat "$W/peak") / 1024 )) MB, VmHWM $(rss "$pid_off" VmHWM); after: $(rss "$pid_off" VmRSS)"
grep "policy reloaded" "$W/off/log" | tail -1
echo "== done ($W)"
