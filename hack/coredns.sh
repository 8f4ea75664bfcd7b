#!/usr/bin/env bash
# Builds the official CoreDNS binary from its Go module (github.com/coredns/coredns,
# the same source as the upstream release images) for the local cluster's DNS image.
# No registry is reachable here, so the binary is built once, statically, and cached
# outside the clone: $MESHPROBE_CACHE (default ~/.cache/meshprobe)/coredns/<version>/coredns.
#
# Prints the path of the binary on stdout; progress goes to stderr.
set -euo pipefail

COREDNS_VERSION="${COREDNS_VERSION:-1.15.0}"
CACHE_ROOT="${MESHPROBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshprobe}"
DEST="$CACHE_ROOT/coredns/$COREDNS_VERSION"

log() { printf '[coredns] %s\n' "$*" >&2; }

if [[ -x "$DEST/coredns" ]]; then
  echo "$DEST/coredns"; exit 0
fi
mkdir -p "$DEST"
log "building CoreDNS v$COREDNS_VERSION from its Go module (a few minutes cold on 2 cores)..."
mod="$(mktemp -d)"
trap 'rm -rf "$mod"' EXIT
(
  cd "$mod"
  go mod init meshprobe.local/corednsbuild >/dev/null 2>&1
  go get "github.com/coredns/coredns@v$COREDNS_VERSION" >&2
  # Build to a temporary name and rename, so an interrupted build leaves no binary
  # that the cache check above would take for a finished one.
  CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=v$COREDNS_VERSION" \
    -o "$DEST/coredns.tmp" github.com/coredns/coredns
)
mv "$DEST/coredns.tmp" "$DEST/coredns"
log "ready: $DEST/coredns"
echo "$DEST/coredns"
