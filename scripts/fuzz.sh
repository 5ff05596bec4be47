#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each (default 30s),
# one at a time (go test -fuzz takes one target per run). CI runs only the
# seed corpora, as part of go test.
set -euo pipefail
cd "$(dirname "$0")/.."

t="${FUZZTIME:-30s}"
grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sort -u |
while IFS=: read -r file fn; do
  name="${fn#func }"
  echo "== $name ($(dirname "$file"), $t)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "./$(dirname "${file#./}")"
done
