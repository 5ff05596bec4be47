#!/usr/bin/env bash
# Web proxy benchmark: the same load, in the same run, direct to a local
# origin, through Schoolgate, through squid and through e2guardian, each
# filtering the same UT1 lists (gambling, games, social networks).
#
#   bash bench/proxy/run.sh [ROUNDS] [SECONDS]     (default 3 rounds of 8 s)
#
# SCHOOLGATE_BEFORE=REV adds a column, schoolgate-before: HEAD with the
# proxy (internal/proxy, internal/cli/serve_proxy.go) as of git revision
# REV, so that before and after differ in the proxy only and run in the
# same run (e.g. SCHOOLGATE_BEFORE=06f3900).
#
# Needs: wrk, squid, e2guardian (Debian packages of those names), Go.
# Prints one line per measurement and, at the end, the medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
secs=${2:-8}
shared=${SCHOOLGATE_SHARED:-$(cd .. && pwd)/shared}
lists="$shared/data/lists/ut1"
for tool in wrk squid e2guardian; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y $tool" >&2; exit 1; }
done
# e2guardian lower-cases some list paths: keep the directory lower-case.
tmp=/tmp/sg-proxybench-$$
rm -rf "$tmp"; mkdir -p "$tmp"
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done  # e2guardian ignores TERM
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "$1" >&2; for f in "$tmp"/squid/stderr "$tmp"/squid/cache.log "$tmp"/e2g/log/stdout; do [ -f "$f" ] && tail -5 "$f" >&2; done; exit 1; }

go build -o "$tmp/schoolgate" ./cmd/schoolgate
before=${SCHOOLGATE_BEFORE:-}
if [ -n "$before" ]; then
  mkdir -p "$tmp/before-src"
  git archive HEAD | tar -x -C "$tmp/before-src"
  rm -rf "$tmp/before-src/internal/proxy"
  git archive "$before" internal/proxy internal/cli/serve_proxy.go | tar -x -C "$tmp/before-src"
  (cd "$tmp/before-src" && go build -o "$tmp/schoolgate-before" ./cmd/schoolgate)
fi
go build -o "$tmp/origin" ./bench/proxy/origin
go build -o "$tmp/tunnelload" ./bench/proxy/tunnelload

ORIGIN=127.0.0.1:18001 ORIGIN_TLS=127.0.0.1:18443
SG=127.0.0.1:13128 SQ=127.0.0.1:13129 E2=127.0.0.1:13130 SGB=127.0.0.1:13131

# The lists, once per format.
cats="gambling games social_networks"
: > "$tmp/squid-domains"; : > "$tmp/e2g-domains"
for c in $cats; do
  grep -v '^#' "$lists/$c/domains" | tr -d '\r' | awk 'NF' > "$tmp/$c.txt"
  cat "$tmp/$c.txt" >> "$tmp/e2g-domains"
done
# squid refuses a dstdomain list holding a name and its parent: keep the
# shortest, valid names only.
tr 'A-Z' 'a-z' < "$tmp/e2g-domains" | grep -E '^[a-z0-9.-]+$' | sort -u | awk -F. '{print NF"\t"$0}' | sort -n | cut -f2 |
  awk '{ n=split($0,p,"."); s=""; dup=0; for(i=n;i>=1;i--){ s=(s=="")?p[i]:p[i]"."s; if (s in seen) {dup=1; break} } if(!dup){seen[$0]=1; print "."$0} }' > "$tmp/squid-domains"
echo "list entries: $(wc -l < "$tmp/e2g-domains")"

# Schoolgate.
cat > "$tmp/policy.yaml" <<YAML
site: {name: Bench School, timezone: UTC}
categories:
  gambling: {sources: [{path: $lists/gambling, format: ut1}]}
  games: {sources: [{path: $lists/games, format: ut1}]}
  social: {sources: [{path: $lists/social_networks, format: ut1}]}
groups:
  pupils: {networks: [127.0.0.0/8]}
default_group: pupils
rules:
  gambling: {others: block}
  games: {others: block}
  social: {others: block}
default: allow
dns: {listen: []}
blockpage: {listen: ""}
admin: {listen: 127.0.0.1:19154}
proxy: {listen: $SG, connect_ports: [443, 18443], allow_destinations: [127.0.0.0/8]}
YAML
"$tmp/origin" -http $ORIGIN -https $ORIGIN_TLS & pids+=($!)
"$tmp/schoolgate" serve -c "$tmp/policy.yaml" --data "$tmp/data" --log-level warn & sg_pid=$!; pids+=($sg_pid)
sgb_pid=
if [ -n "$before" ]; then
  # The origin is on loopback: exempt from the destination guard (a key
  # a binary from before the guard does not know).
  sed -e "s/listen: $SG,/listen: $SGB,/" -e "s/127.0.0.1:19154/127.0.0.1:19155/" -e "s/, allow_destinations: \[127.0.0.0\/8\]//" "$tmp/policy.yaml" > "$tmp/policy-before.yaml"
  "$tmp/schoolgate-before" serve -c "$tmp/policy-before.yaml" --data "$tmp/data-before" --log-level warn & sgb_pid=$!; pids+=($sgb_pid)
fi

# squid: no cache, no access log, the same domains denied.
mkdir -p "$tmp/squid"; chown proxy:proxy "$tmp/squid" 2>/dev/null || true
cat > "$tmp/squid.conf" <<CONF
http_port $SQ
pid_filename $tmp/squid/squid.pid
cache_log $tmp/squid/cache.log
access_log none
cache deny all
cache_mem 8 MB
coredump_dir $tmp/squid
acl SSL_ports port 443 18443
acl CONNECT method CONNECT
acl localnet src 127.0.0.0/8
acl blocked dstdomain "$tmp/squid-domains"
http_access deny CONNECT !SSL_ports
http_access deny blocked
http_access allow localnet
http_access deny all
shutdown_lifetime 1 seconds
CONF
squid -N -f "$tmp/squid.conf" 2>"$tmp/squid/stderr" & sq_pid=$!; pids+=($sq_pid)

# e2guardian: the Debian configuration, moved into the temp dir, listening
# on $E2, direct to sites (no parent proxy), the domains banned.
cp -r /etc/e2guardian "$tmp/e2g"
grep -rl /etc/e2guardian "$tmp/e2g" | xargs sed -i "s#/etc/e2guardian#$tmp/e2g#g"
mkdir -p "$tmp/e2g/log"; chmod 777 "$tmp/e2g/log"
sed -i -e "s/^filterports = .*/filterports = ${E2##*:}/" -e "s/^filterip =.*/filterip = 127.0.0.1/" \
  -e "s/^nodaemon = .*/nodaemon = on/" -e "s/^loglevel = .*/loglevel = 0/" "$tmp/e2g/e2guardian.conf"
cat >> "$tmp/e2g/e2guardian.conf" <<CONF
loglocation = '$tmp/e2g/log/access.log'
pidfilename = '$tmp/e2g/e2guardian.pid'
CONF
cat "$tmp/e2g-domains" >> "$tmp/e2g/lists/bannedsitelist"
e2guardian -N -c "$tmp/e2g/e2guardian.conf" >"$tmp/e2g/log/stdout" 2>&1 & e2_pid=$!; pids+=($e2_pid)

wait_port() { for _ in $(seq 1 200); do ss -ltn | grep -q " $1 " && return 0; sleep 0.1; done; fail "no listener on $1"; }
for a in $ORIGIN $ORIGIN_TLS $SG $SQ $E2 ${before:+$SGB}; do wait_port "$a"; done
sleep 1

# wrk through a proxy: absolute-form request lines.
cat > "$tmp/abs.lua" <<'LUA'
local target = os.getenv("TARGET")
wrk.path = target
wrk.headers["Host"] = target:match("^http://([^/]+)")
LUA
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# Schoolgate's RSS split: anonymous (Go heap, SQLite's page cache) and
# file-backed (the binary, SQLite's memory map); Go's own share and the
# goroutines from its metrics.
sgmem() {
  local st m
  st=$(awk '/RssAnon|RssFile/ {printf "%s%s ", $1, $2}' "/proc/$1/status")
  m=$(curl -s "http://$2/metrics" | awk '$1=="go_memstats_sys_bytes" {printf "go_sys=%.0fMB ", $2/1e6} $1=="go_memstats_heap_inuse_bytes" {printf "heap_inuse=%.0fMB ", $2/1e6} $1=="go_goroutines" {printf "goroutines=%d", $2}')
  echo "$st$m"
}
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# one NAME PROXY PATH CONNS: a wrk run; prints "NAME scenario rps p50 p90 p99".
one() {
  local name=$1 proxy=$2 path=$3 conns=$4 scen=$5 out th=2
  [ "$conns" -lt 2 ] && th=1
  if [ "$proxy" = direct ]; then
    out=$(wrk -t"$th" -c"$conns" -d"${secs}s" --latency "http://$ORIGIN$path")
  else
    out=$(TARGET="http://$ORIGIN$path" wrk -t"$th" -c"$conns" -d"${secs}s" --latency -s "$tmp/abs.lua" "http://$proxy")
  fi
  local rps p50 p90 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p90=$(awk '$1=="90%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "RESULT $name $scen rps=$rps p50=$p50 p90=$p90 p99=$p99 $errs"
}
tunnel() {
  local name=$1 proxy=$2 out
  out=$("$tmp/tunnelload" -proxy "$proxy" -target $ORIGIN_TLS -c 64 -d "${secs}s")
  echo "RESULT $name connect-small-c64 $(awk '{print "rps="$6" p50="$8" p90="$10" p99="$12}' <<<"$out")"
}

for r in $(seq 1 "$rounds"); do
  echo "== round $r"
  for t in "direct direct" "schoolgate $SG" ${before:+"schoolgate-before $SGB"} "squid $SQ" "e2guardian $E2"; do
    set -- $t
    one "$1" "$2" /small 1 small-c1
    one "$1" "$2" /small 64 small-c64
    one "$1" "$2" /1m 16 1m-c16
    [ "$1" != direct ] && tunnel "$1" "$2"
  done
  echo "RSS_KB schoolgate=$(rss $sg_pid) squid=$(rss $sq_pid) e2guardian=$(rss $e2_pid) (peak: schoolgate=$(hwm $sg_pid) squid=$(hwm $sq_pid) e2guardian=$(hwm $e2_pid))"
  echo "SG_MEM schoolgate $(sgmem $sg_pid 127.0.0.1:19154)"
  if [ -n "$before" ]; then
    echo "RSS_KB schoolgate-before=$(rss $sgb_pid) (peak $(hwm $sgb_pid))"
    echo "SG_MEM schoolgate-before $(sgmem $sgb_pid 127.0.0.1:19155)"
  fi
done
# A blocked request through each, to show every proxy filters.
for t in "schoolgate $SG" "squid $SQ" "e2guardian $E2"; do
  set -- $t
  page=$(curl -s --max-time 10 -x "http://$2" "http://$(head -1 "$tmp/gambling.txt")/" || true)
  page=$(printf "%s" "$page" | tr -s ' \n' ' ' | head -c 300)
  echo "BLOCKED $1 $(head -1 "$tmp/gambling.txt") -> ${page:0:160}"
done
# A 1 MiB body through each, once.
for t in "schoolgate $SG" "squid $SQ" "e2guardian $E2"; do
  set -- $t
  echo "ONE_MB $1 $(curl -s -o /dev/null --max-time 20 -w '%{http_code} %{size_download} bytes %{time_total}s' -x "http://$2" "http://$ORIGIN/1m" || true)"
done
