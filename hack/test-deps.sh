#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine: the Kubernetes control-plane
# binaries (cached in ~/.cache/meshprobe), Prometheus and promtool, Chromium for the web
# UI's browser test, and iproute2 for network-namespace tests; as root also what the
# local cluster's real nodes run: containerd, runc, the CNI plugins, iptables, and the
# kubelet and kube-proxy binaries.
# Without root, apt installs are skipped and the tests that need them skip with a
# message that says so.
#
# With --nodes, only what the local cluster's nodes need (`make demo` as root).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[test-deps] %s\n' "$*" >&2; }

need_pkgs=()
if [[ ${1:-} != --nodes ]]; then
  command -v prometheus >/dev/null || need_pkgs+=(prometheus)
  command -v chromium >/dev/null || need_pkgs+=(chromium) # the web UI's test (integrations/meshview/ui)
fi
command -v ip >/dev/null || need_pkgs+=(iproute2)
command -v ping >/dev/null || need_pkgs+=(iputils-ping)
if [[ $(id -u) -eq 0 ]]; then
  # The real nodes of meshprobe-localcluster (internal/testkit/localcluster/realnode).
  command -v containerd >/dev/null || need_pkgs+=(containerd)
  command -v runc >/dev/null || need_pkgs+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || need_pkgs+=(containernetworking-plugins)
  command -v iptables-restore >/dev/null || need_pkgs+=(iptables)
  command -v nsenter >/dev/null || need_pkgs+=(util-linux)
fi
if ((${#need_pkgs[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing ${need_pkgs[*]} with apt-get"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
  else
    log "not root (or no apt): ${need_pkgs[*]} missing; tests that need them will skip"
  fi
fi
if [[ $(id -u) -eq 0 ]]; then
  ./hack/k8s-binaries.sh --node >/dev/null
else
  ./hack/k8s-binaries.sh >/dev/null
fi
log "ready"
