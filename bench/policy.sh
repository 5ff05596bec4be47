#!/usr/bin/env bash
# Reproduces the policy-engine figures in BENCHMARKS.md: Schoolgate's
# Decide and compile on 2,000,000 generated entries, and AdGuard urlfilter's
# DNSEngine on the same names, in the same run. Prints benchstat medians.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-5}
out=${OUT:-/tmp/schoolgate-bench}
mkdir -p "$out"
command -v benchstat >/dev/null 2>&1 || go install golang.org/x/perf/cmd/benchstat@latest
export PATH="$PATH:$(go env GOPATH)/bin"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run '^$' -bench . -benchtime 2s -count "$count" ./internal/policy/ | tee "$out/policy.txt"
(cd bench/peers/urlfilter && go test -run '^$' -bench . -benchtime 2s -count "$count" .) | tee "$out/urlfilter.txt"
benchstat "$out/policy.txt"
benchstat "$out/urlfilter.txt"
