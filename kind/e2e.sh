#!/usr/bin/env bash
# Runs meshprobe's e2e suite (e2e/, the same tests `make e2e` runs on the local
# cluster) on a real kind cluster: creates the cluster, builds and loads the images,
# installs cert-manager and meshprobe (the e2e overlay of manifests/), then runs the
# suite against it. Needs docker, kind, kubectl, go and network access to pull the
# base images and cert-manager's release manifest. See kind/README.md.
#
#   kind/e2e.sh              # create, test, delete
#   KEEP=1 kind/e2e.sh       # keep the cluster afterwards
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER="${CLUSTER:-meshprobe-e2e}"
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.21.2}"
VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
REPO="${IMAGE_REPO:-ghcr.io/meshprobe}"
log() { printf '[e2e-kind] %s\n' "$*" >&2; }

for tool in docker kind kubectl go; do
  command -v "$tool" >/dev/null || { log "missing: $tool (see kind/README.md)"; exit 1; }
done
docker info >/dev/null 2>&1 || { log "the Docker engine is not reachable"; exit 1; }

cleanup() {
  if [[ "${KEEP:-}" == "1" ]]; then
    log "keeping cluster $CLUSTER (kind delete cluster --name $CLUSTER)"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

log "creating kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --config kind/cluster.yaml --wait 180s
KUBECONFIG_FILE="$(mktemp)"
kind get kubeconfig --name "$CLUSTER" >"$KUBECONFIG_FILE"
export KUBECONFIG="$KUBECONFIG_FILE"

log "building images ($VERSION)"
docker build -f Dockerfile.webhook --build-arg VERSION="$VERSION" \
  -t "$REPO/meshprobe-webhook:$VERSION" -t "$REPO/meshprobe-webhook:latest" .
# The webhook injects $REPO/meshprobe-sidecar:<its version>.
docker build -f Dockerfile.sidecar --build-arg VERSION="$VERSION" \
  -t "$REPO/meshprobe-sidecar:$VERSION" -t "$REPO/meshprobe-sidecar:latest" .
docker build -f kind/Dockerfile.e2e --target testapp -t meshprobe.io/testapp:e2e .
docker build -f kind/Dockerfile.e2e --target crash -t meshprobe.io/testapp:crash .
docker build -f kind/Dockerfile.e2e --target tefake -t "$REPO/thousandeyes-fake:latest" .

log "loading images into the nodes"
kind load docker-image --name "$CLUSTER" \
  "$REPO/meshprobe-webhook:latest" "$REPO/meshprobe-sidecar:$VERSION" "$REPO/meshprobe-sidecar:latest" \
  meshprobe.io/testapp:e2e meshprobe.io/testapp:crash "$REPO/thousandeyes-fake:latest"

log "installing cert-manager $CERT_MANAGER_VERSION"
kubectl apply -f "https://github.com/cert-manager/cert-manager/releases/download/$CERT_MANAGER_VERSION/cert-manager.yaml"
kubectl -n cert-manager rollout status deploy/cert-manager deploy/cert-manager-webhook deploy/cert-manager-cainjector --timeout=180s

log "installing meshprobe (e2e overlay: manifests/ + heartbeat token + ThousandEyes fake)"
# cert-manager's webhook may need a few seconds before it accepts Certificates.
for i in 1 2 3 4 5 6; do
  kubectl apply -k e2e/testdata/overlay && break
  log "apply failed (cert-manager still starting?); retrying in 10s"; sleep 10
done
kubectl -n meshprobe-system rollout status deploy/meshprobe-webhook deploy/thousandeyes-fake --timeout=180s

log "running the e2e suite"
MESHPROBE_E2E_KUBECONFIG="$KUBECONFIG_FILE" \
MESHPROBE_E2E_BACKEND=kind \
MESHPROBE_E2E_TE_URL=http://127.0.0.1:30089 \
  go test -count=1 -timeout 30m -tags e2e -v ./e2e/...
