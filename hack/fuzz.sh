#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME (default 3s) each.
# Fuzz targets are found by their `func FuzzXxx(f *testing.F)` declarations.
set -euo pipefail
FUZZTIME="${FUZZTIME:-3s}"
cd "$(dirname "$0")/.."
count=0
while IFS=: read -r file target; do
  pkg="./$(dirname "$file")"
  echo "fuzz: $pkg $target ($FUZZTIME)"
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
  count=$((count + 1))
done < <(git ls-files -co --exclude-standard '*_test.go' | xargs grep -oE '^func (Fuzz[A-Za-z0-9_]+)' /dev/null | sed -E 's/:func /:/' | sort -u)
echo "fuzz: ran $count targets"
