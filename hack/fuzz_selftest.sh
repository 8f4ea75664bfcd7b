#!/usr/bin/env bash
# Checks hack/lib/fuzzflake.sh: the deadline race is retried, real findings
# are not. The logs are shaped like `go test -fuzz` output from Go 1.26.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/lib/fuzzflake.sh
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

cat >"$dir/flake" <<'LOG'
fuzz: elapsed: 3s, execs: 19963 (6654/sec), new interesting: 28 (total: 250)
--- FAIL: FuzzParse (4.05s)
    context deadline exceeded
FAIL
LOG
cat >"$dir/finding" <<'LOG'
--- FAIL: FuzzParse (0.12s)
    --- FAIL: FuzzParse (0.00s)
        parse_test.go:41: round trip changed the config
    Failing input written to testdata/fuzz/FuzzParse/5a1b
    To re-run:
    go test -run=FuzzParse/5a1b
FAIL
LOG
cat >"$dir/panic" <<'LOG'
--- FAIL: FuzzParse (0.10s)
    context deadline exceeded
panic: runtime error: index out of range [3] with length 3
LOG
cat >"$dir/error" <<'LOG'
--- FAIL: FuzzParse (3.01s)
    parse_test.go:17: context deadline exceeded
LOG

fail=0
expect() { # expect WANT NAME
  if is_deadline_flake "$dir/$2"; then got=flake; else got=real; fi
  if [ "$got" != "$1" ]; then
    echo "fuzz_selftest: log $2 classified $got, want $1" >&2
    fail=1
  fi
}
expect flake flake
expect real finding
expect real panic
expect real error
[ "$fail" -eq 0 ] && echo "fuzz_selftest: ok (4 logs classified)"
exit "$fail"
