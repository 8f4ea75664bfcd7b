# shellcheck shell=bash
# is_deadline_flake LOG: true when a failed `go test -fuzz` run failed only by
# Go 1.26's fuzz coordinator deadline race (https://go.dev/issue/75804): the
# log says "context deadline exceeded" and shows no failing input, panic or
# test error line.
is_deadline_flake() {
  grep -q 'context deadline exceeded' "$1" &&
    ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:|test timed out' "$1"
}
