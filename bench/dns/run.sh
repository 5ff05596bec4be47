#!/usr/bin/env bash
# DNS resolver benchmark: schoolgate serve (1,000,000 list entries, per-query
# logging off and on) against dnsmasq as a caching forwarder, all on
# loopback in front of the same local upstream, measured with dnsperf in the
# same run. With BASE=<git rev>, that revision's schoolgate (logging off)
# runs in the same rounds too, for before/after ratios.
# Needs: go, dnsperf, dnsmasq (Debian: dnsperf, dnsmasq-base), dig, bc.
#
#   bash bench/dns/run.sh                      # RUNS=5 DUR=10 QS="500 100"
#   BASE=238c56c RUNS=5 bash bench/dns/run.sh  # also the code as of 238c56c
#   REV=HEAD bash bench/dns/run.sh             # the committed code, not the
#                                              # working tree (others' edits)
#   WORKLOADS="miss mix" bash bench/dns/run.sh # only those workloads
#   BASE_LOG=true BASE=REV ...                 # the baseline with logging on
#                                              # (compare with sg-on: e.g.
#                                              # alert rules on and off)
#   ALERT_RULES=1 ...                          # an alert rule on the blocked names
#
# Workloads (WORKLOADS, default all three, in this order):
#   hit   warm caches (upstream TTL 3600, cache_size 100000): 30 % of
#         queries blocked names, 70 % allowed names all in the cache; then
#         latency and a reload.
#   miss  every query misses the cache: the upstream answers with TTL 0 and
#         every query is an allowed name, so each one is forwarded.
#   mix   realistic: upstream TTL 300, 70 % of queries over 20,000 popular
#         allowed names, 30 % over 100,000 blocked names, default cache
#         sizes (schoolgate 10,000, dnsmasq 150), no warm-up.
#
# hit gives every server the same dnsperf settings: -c 8 clients, -T 1
# thread (dnsperf shares the 2 CPUs with the server under test), and -q Q
# queries outstanding for each Q in QS. miss and mix use -c 10 -T 1 -q MQ
# (default 100) and schoolgate with logging off.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
DUR=${DUR:-10}
QS=${QS:-"500 100"}
BASE=${BASE:-}
REV=${REV:-}
WORKLOADS=${WORKLOADS:-"hit miss mix"}
MQ=${MQ:-100}
has() { [[ " $WORKLOADS " == *" $1 "* ]]; }
W=$(mktemp -d /tmp/schoolgate-dnsbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uptime)"
echo "== building into $W"
# build_rev REV DIR OUT: builds schoolgate as of a git revision.
build_rev() {
  mkdir -p "$2"
  git archive "$1" | tar -x -C "$2"
  (cd "$2" && go build -o "$3" ./cmd/schoolgate)
}
if [ -n "$REV" ]; then
  build_rev "$REV" "$W/rev-src" "$W/schoolgate"
  echo "measuring: $(git log -1 --format='%h %s' "$REV")"
else
  go build -o "$W/schoolgate" ./cmd/schoolgate
  echo "measuring: the working tree (on $(git log -1 --format='%h' HEAD))"
fi
go build -o "$W/upstream" ./bench/dns/upstream
go build -o "$W/gen" ./bench/dns/gen
go build -o "$W/pct" ./bench/dns/pct
if [ -n "$BASE" ]; then
  build_rev "$BASE" "$W/base-src" "$W/schoolgate-base"
  echo "baseline: $(git log -1 --format='%h %s' "$BASE")"
fi
(cd "$W" && ./gen -entries 1000000 -queries 20000 -blocked 0.3 &&
  ./gen -list "" -queries 20000 -blocked 0 -queries-file miss.txt &&
  ./gen -list "" -queries 200000 -blocked 0.3 -allowed 20000 -blocked-names 100000 -queries-file mix.txt)

# One upstream per answer TTL: hit 3600, miss 0, mix 300.
"$W/upstream" -addr 127.0.0.1:5400 -ttl 3600 >"$W/upstream.log" 2>&1 &
pids+=($!)
"$W/upstream" -addr 127.0.0.1:5401 -ttl 0 >"$W/upstream-miss.log" 2>&1 &
pids+=($!)
"$W/upstream" -addr 127.0.0.1:5402 -ttl 300 >"$W/upstream-mix.log" 2>&1 &
pids+=($!)

# policy LOG PORT ADMIN [UPSTREAM_PORT [CACHE]]: CACHE "" leaves
# cache_size out (the default).
policy() {
  local cache="  cache_size: ${5-100000}"
  [ -z "${5-100000}" ] && cache=""
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
  upstreams: ["127.0.0.1:${4:-5400}"]
$cache
  log_queries: $1
admin:
  listen: 127.0.0.1:$3
YAML
  # ALERT_RULES=1: an alert rule on the blocked names (every blocked
  # query is a hit, folded into one alert per client).
  if [ -n "${ALERT_RULES:-}" ]; then
    printf 'alerts:\n  rules:\n    - {name: blocked-attempts, title: Blocked names, severity: 2, category: [blocked]}\n'
  fi
}

now() { date +%s.%N; }

# start_sg NAME BINARY LOG PORT ADMIN [UPSTREAM_PORT [CACHE]]: starts
# serve; writes seconds from start to the first answer to $W/NAME/ready.
# (Not in a subshell: pids must be remembered.)
start_sg() {
  mkdir -p "$W/$1"
  policy "$3" "$4" "$5" "${@:6}" >"$W/$1/policy.yaml"
  local t0; t0=$(now)
  "$2" serve -c "$W/$1/policy.yaml" --data "$W/$1/data" >"$W/$1/log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  echo "$pid" >"$W/$1/pid"
  until dig @127.0.0.1 -p "$4" +time=1 +tries=1 ready.allowed-example.org >/dev/null 2>&1; do sleep 0.01; done
  echo "$(now) - $t0" | bc >"$W/$1/ready"
}

# mem PID: resident memory, and how much of it is anonymous (heap,
# stacks) and file-backed (the binary's pages).
mem() {
  awk '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} /^VmHWM:/ {h=$2}
    END {printf "%.1f MB (anon %.1f, file %.1f; peak %.1f)", r/1024, a/1024, f/1024, h/1024}' "/proc/$1/status"
}

# perf PORT QUERIES CLIENTS OUTSTANDING: one dnsperf round; prints "QPS LOST".
perf() {
  dnsperf -s 127.0.0.1 -p "$1" -d "$W/$2" -l "$DUR" -c "$3" -q "$4" -T 1 2>/dev/null |
    awk '/Queries per second/ {q=$4} /Queries lost/ {l=$3} END {printf "%.0f %d\n", q, l}'
}
run() { perf "$1" queries.txt 8 "$2"; } # $1 = port, $2 = outstanding
median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# hit: warm caches, logging off and on, latency, reload.
workload_hit() {
  # servers: name port
  servers=("sg-off 5390" "dnsmasq 5391" "sg-on 5392")
  echo "== starting schoolgate (log_queries: false and true) and dnsmasq"
  start_sg off "$W/schoolgate" false 5390 9190
  start_sg on "$W/schoolgate" true 5392 9192
  if [ -n "$BASE" ]; then
    start_sg base "$W/schoolgate-base" "${BASE_LOG:-false}" 5393 9193
    servers+=("base-off 5393")
  fi
  dnsmasq --no-daemon --port=5391 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
    --server=127.0.0.1#5400 --cache-size=100000 --log-facility="$W/dnsmasq.log" &
  pids+=($!)
  sleep 1
  pid_off=$(cat "$W/off/pid")
  echo "time until ready (start to first answer): log off $(cat "$W/off/ready")s, log on $(cat "$W/on/ready")s"
  echo "RSS after load, log off: $(mem "$pid_off")"
  if [ -n "$BASE" ]; then
    pid_base=$(cat "$W/base/pid")
    echo "baseline: ready $(cat "$W/base/ready")s; RSS after load $(mem "$pid_base")"
  fi

  # Warm every cache with one pass over the query file.
  for s in "${servers[@]}"; do
    set -- $s
    dnsperf -s 127.0.0.1 -p "$2" -d "$W/queries.txt" -n 1 -q 100 >/dev/null
  done
  echo "RSS after warm-up, log off: $(mem "$pid_off")"


  for q in $QS; do
    echo "== throughput, -q $q: $RUNS rounds of ${DUR}s per server, interleaved (QPS, queries lost)"
    for i in $(seq "$RUNS"); do
      line="round $i (load $(cut -d' ' -f1 /proc/loadavg)):"
      for s in "${servers[@]}"; do
        set -- $s
        read -r qps lost < <(run "$2" "$q")
        echo "$qps" >>"$W/qps-$q-$1"
        line+="  $1 $qps ($lost)"
      done
      echo "$line"
    done
    dm=$(median <"$W/qps-$q-dnsmasq")
    for s in "${servers[@]}"; do
      set -- $s
      m=$(median <"$W/qps-$q-$1")
      echo "median -q $q: $1 $m ($(echo "scale=2; $m / $dm" | bc)x dnsmasq)"
    done
    echo "logging cost, -q $q: $(echo "scale=3; 100 * (1 - $(median <"$W/qps-$q-sg-on") / $(median <"$W/qps-$q-sg-off"))" | bc) %"
  done
  echo "RSS after the rounds, log off: $(mem "$pid_off")"
  # The logging instance must really have logged: events written and dropped.
  curl -s http://127.0.0.1:9192/metrics | grep -E '^schoolgate_activity_events_(written|dropped)_total' | tr '\n' ' '
  echo

  # Saturated, latency is queue length over throughput (Little's law): a
  # server whose socket dropped queries has fewer of the 500 outstanding.
  # At a fixed 20,000 QPS every server keeps up and latency is the service
  # time.
  for load in "-q 500" "-q 500 -Q 20000"; do
    echo "== latency, dnsperf -v $load, 10 s each"
    for s in "${servers[@]}"; do
      set -- $s
      printf "%s: " "$1"
      # shellcheck disable=SC2086
      dnsperf -s 127.0.0.1 -p "$2" -d "$W/queries.txt" -l 10 -c 8 $load -T 1 -v 2>/dev/null | "$W/pct"
    done
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
  echo "during reload: sampled peak VmRSS $(( $(cat "$W/peak") / 1024 )) MB; right after: $(mem "$pid_off")"
  sleep 6
  echo "6 s after the reload (memory handed back): $(mem "$pid_off")"
  grep "policy reloaded" "$W/off/log" | tail -1
}

# compare NAME UPSTREAM_PORT QUERIES CACHE: schoolgate (logging off; the
# baseline too with BASE) and dnsmasq in front of the upstream on
# UPSTREAM_PORT, fresh, RUNS interleaved rounds of dnsperf -c 10 -T 1
# -q MQ over QUERIES. CACHE is cache_size for both ("": their defaults).
compare() {
  local name=$1 up=$2 queries=$3 cache=$4 ps=() svs=("sg 5394" "dnsmasq 5396")
  echo "== $name: schoolgate and dnsmasq in front of the upstream on $up, cache ${cache:-default}," \
    "$RUNS rounds of ${DUR}s, dnsperf -c 10 -q $MQ -T 1 over $queries (QPS, queries lost)"
  start_sg "$name-sg" "$W/schoolgate" false 5394 9194 "$up" "$cache"
  ps+=("$(cat "$W/$name-sg/pid")")
  if [ -n "$BASE" ]; then
    start_sg "$name-base" "$W/schoolgate-base" false 5395 9195 "$up" "$cache"
    ps+=("$(cat "$W/$name-base/pid")")
    svs+=("base 5395")
  fi
  dnsmasq --no-daemon --port=5396 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
    --server=127.0.0.1#"$up" ${cache:+--cache-size=$cache} --log-facility="$W/dnsmasq-$name.log" &
  ps+=($!)
  pids+=($!)
  until dig @127.0.0.1 -p 5396 +time=1 +tries=1 ready.allowed-example.org >/dev/null 2>&1; do sleep 0.01; done
  for i in $(seq "$RUNS"); do
    line="round $i (load $(cut -d' ' -f1 /proc/loadavg)):"
    for s in "${svs[@]}"; do
      set -- $s
      read -r qps lost < <(perf "$2" "$queries" 10 "$MQ")
      echo "$qps" >>"$W/$name-qps-$1"
      line+="  $1 $qps ($lost)"
    done
    echo "$line"
  done
  dm=$(median <"$W/$name-qps-dnsmasq")
  for s in "${svs[@]}"; do
    set -- $s
    m=$(median <"$W/$name-qps-$1")
    echo "median $name: $1 $m ($(echo "scale=2; $m / $dm" | bc)x dnsmasq)"
  done
  echo "RSS of schoolgate after $name: $(mem "${ps[0]}")"
  kill "${ps[@]}" 2>/dev/null || true
  for p in "${ps[@]}"; do wait "$p" 2>/dev/null || true; done
}

if has hit; then workload_hit; fi
if has miss; then compare miss 5401 miss.txt 100000; fi
if has mix; then compare mix 5402 mix.txt ""; fi
echo "== done ($W; $(uptime))"
