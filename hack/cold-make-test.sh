#!/usr/bin/env bash
# Runs `CI=true make test` as a fresh machine would: in a clean clone of this
# repository, with empty Go build, module and meshprobe caches (HOME, GOPATH,
# GOCACHE and GOMODCACHE point into an empty directory). System packages that
# hack/test-deps.sh installs with apt stay installed. Prints the wall time and
# the load average; the log is <dir>/make-test.log.
#
# Usage: hack/cold-make-test.sh [dir] [rev]   (default /tmp/meshprobe-cold, HEAD)
set -u
D=${1:-/tmp/meshprobe-cold}
REV=${2:-HEAD}
SRC=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$D" && mkdir -p "$D/home"
# A run fills about 16 GB (Go build and module caches, the Kubernetes build, images);
# a full disk fails it in whatever step is compiling, with "no space left on device".
need_gb=20
free_gb=$(( $(df --output=avail -k "$D" | tail -1) / 1024 / 1024 ))
if (( free_gb < need_gb )); then
  echo "cold-make-test: $D has ${free_gb} GB free; a run needs about ${need_gb} GB (remove earlier runs' directories)" >&2
  exit 1
fi
git clone -q "$SRC" "$D/repo" && cd "$D/repo" && git checkout -q "$REV" || exit 1
export HOME=$D/home GOPATH=$D/home/go GOCACHE=$D/home/.cache/go-build GOMODCACHE=$D/home/go/pkg/mod CI=true
export PATH=$(dirname "$(command -v go)"):$GOPATH/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
echo "cold make test at $(git rev-parse --short HEAD), start $(date -u +%T)"
start=$(date +%s)
make test > "$D/make-test.log" 2>&1
rc=$?
echo "rc=$rc wall=$(( $(date +%s) - start ))s end $(date -u +%T) load: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
