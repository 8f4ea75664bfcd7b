#!/usr/bin/env bash
# Fetches (or builds) the real Kubernetes binaries that meshprobe's integration and
# end-to-end tests run: etcd, kube-apiserver, kube-controller-manager and
# kube-scheduler; with --node also the node components kubelet and kube-proxy (what
# meshprobe-localcluster's real nodes run). Binaries are cached outside the clone, so
# only the first run pays.
#
#   hack/k8s-binaries.sh          the control plane
#   hack/k8s-binaries.sh --node   the control plane, kubelet and kube-proxy
#
# Order of preference:
#   1. $KUBEBUILDER_ASSETS, if it already holds every binary asked for;
#   2. the cache ($MESHPROBE_CACHE, default ~/.cache/meshprobe/k8s/<version>);
#   3. a download of the envtest assets (etcd and kube-apiserver; skipped when the
#      network refuses);
#   4. `go build` of the official k8s.io/kubernetes and go.etcd.io/etcd modules.
#
# Prints the directory holding the binaries on stdout; progress goes to stderr.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
CACHE_ROOT="${MESHPROBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/meshprobe}"
DEST="$CACHE_ROOT/k8s/v$K8S_VERSION"
KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler)
case "${1:-}" in
  "") ;;
  --node) KUBE_BINARIES+=(kubelet kube-proxy) ;;
  *) echo "usage: $0 [--node]" >&2; exit 2 ;;
esac
BINARIES=(etcd "${KUBE_BINARIES[@]}")

log() { printf '[k8s-binaries] %s\n' "$*" >&2; }

have_all() {
  local dir="$1" b
  [[ -x "$dir/etcd" ]] || return 1
  for b in "${KUBE_BINARIES[@]}"; do stamped "$dir/$b" || return 1; done
}

# stamped: the binary exists and reports this version (the kubelet's version is the
# Node's kubeletVersion, which meshprobe and the e2e suite read; an unstamped build
# says v0.0.0-master).
stamped() {
  [[ -x "$1" ]] && [[ "$("$1" --version 2>/dev/null)" == "Kubernetes v$K8S_VERSION" ]]
}

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]] && have_all "$KUBEBUILDER_ASSETS"; then
  echo "$KUBEBUILDER_ASSETS"; exit 0
fi
if have_all "$DEST"; then
  echo "$DEST"; exit 0
fi
mkdir -p "$DEST"

try_envtest_download() {
  [[ -x "$DEST/etcd" ]] && stamped "$DEST/kube-apiserver" && return 0
  local url="https://github.com/kubernetes-sigs/controller-tools/releases/download/envtest-v${K8S_VERSION}/envtest-v${K8S_VERSION}-linux-amd64.tar.gz"
  local tmp; tmp="$(mktemp -d)"
  log "trying envtest download: $url"
  if curl -fsSL --connect-timeout 5 --max-time 300 -o "$tmp/envtest.tgz" "$url" 2>/dev/null \
    && tar -xzf "$tmp/envtest.tgz" -C "$tmp"; then
    find "$tmp" -type f \( -name etcd -o -name kube-apiserver \) -exec cp {} "$DEST/" \;
  else
    log "envtest download unavailable; building from source instead"
  fi
  rm -rf "$tmp"
}

build_etcd() {
  [[ -x "$DEST/etcd" ]] && return 0
  log "building etcd v$ETCD_VERSION (about 1 minute cold)..."
  local mod; mod="$(mktemp -d)"
  (
    cd "$mod"
    go mod init meshprobe.local/etcdbuild >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$DEST/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$mod"
}

# build_kube builds the missing k8s.io/kubernetes commands. Each is written under a
# temporary name and renamed, so a concurrent run never sees half a binary.
build_kube() {
  local missing=() b
  for b in "${KUBE_BINARIES[@]}"; do
    stamped "$DEST/$b" || missing+=("$b")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "building ${missing[*]} v$K8S_VERSION from k8s.io/kubernetes (about 8 minutes cold on 2 cores for the control plane; kubelet and kube-proxy share most of its packages)..."
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}k8s.io/kubernetes" GOFLAGS=-mod=mod
  local mod gomod staging_minor
  mod="$(mktemp -d)"
  gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  staging_minor="v0.${K8S_VERSION#1.}"
  {
    echo "module meshprobe.local/kubebuild"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    # One replace line per staging module, pointing at its published release.
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$staging_minor"'#p' "$gomod"
  } >"$mod/go.mod"
  # The version variables that Kubernetes' own build (hack/lib/version.sh) sets.
  local minor="${K8S_VERSION#*.}" ldflags="-s -w" pkg
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=${K8S_VERSION%%.*} -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (
    cd "$mod"
    for b in "${missing[@]}"; do
      log "  go build $b"
      local start=$SECONDS
      CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$DEST/.$b.tmp" "k8s.io/kubernetes/cmd/$b"
      mv "$DEST/.$b.tmp" "$DEST/$b"
      log "  built $b in $((SECONDS - start)) s"
    done
  )
  rm -rf "$mod"
}

if [[ "${MESHPROBE_NO_DOWNLOAD:-}" != "1" ]] && command -v curl >/dev/null; then
  try_envtest_download
fi
build_etcd
build_kube
have_all "$DEST" || { log "failed: not all of ${BINARIES[*]} are in $DEST"; exit 1; }
log "ready: $DEST"
echo "$DEST"
