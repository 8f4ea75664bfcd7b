#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME (default 3s) each.
# Fuzz targets are found by their `func FuzzXxx(f *testing.F)` declarations.
#
# Each input that reaches new code is minimized before fuzzing goes on, by
# default for up to 60 s and in time quadratic in its length: a target whose
# inputs are a few hundred bytes (a whole AdmissionReview) spent a short run
# minimizing one input, at a few inputs a second. $FUZZ_MINIMIZE (default 100x:
# 100 tries) bounds that, for new inputs and for failing ones alike; a failing
# input is then less minimal (run the target longer to shrink it further).
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when -fuzztime expires while a worker is mid-call
# (https://go.dev/issue/75804, fixed in Go 1.27). That is not a finding: no
# failing input is written. Such a run is retried, up to $FUZZ_RETRIES times.
# Any other failure, or a run that wrote a failing input, fails at once.
set -euo pipefail
FUZZTIME="${FUZZTIME:-3s}"
FUZZ_RETRIES="${FUZZ_RETRIES:-2}"
FUZZ_MINIMIZE="${FUZZ_MINIMIZE:-100x}"
cd "$(dirname "$0")/.."

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# shellcheck source=hack/lib/fuzzflake.sh
. hack/lib/fuzzflake.sh

fuzz_target() {
  local pkg="$1" target="$2" attempt=0
  while :; do
    echo "fuzz: $pkg $target ($FUZZTIME)"
    if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZ_MINIMIZE" "$pkg" 2>&1 | tee "$log"; then
      return 0
    fi
    if ! is_deadline_flake "$log" || [ "$attempt" -ge "$FUZZ_RETRIES" ]; then
      echo "fuzz: $pkg $target FAILED" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    echo "fuzz: $pkg $target hit Go's fuzztime deadline race (go.dev/issue/75804), no failing input; retry $attempt/$FUZZ_RETRIES" >&2
  done
}

count=0
while IFS=: read -r file target; do
  fuzz_target "./$(dirname "$file")" "$target"
  count=$((count + 1))
done < <(git ls-files -co --exclude-standard '*_test.go' | xargs grep -oE '^func (Fuzz[A-Za-z0-9_]+)' /dev/null | sed -E 's/:func /:/' | sort -u)
echo "fuzz: ran $count targets"
