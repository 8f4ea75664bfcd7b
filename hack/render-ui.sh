#!/usr/bin/env bash
# Draws docs/ui.png, the web UI's screenshot for the README: headless Chromium loads the
# page from the control plane's view server over a simulated mesh of 1,000 members (the
# browser test in integrations/meshview/ui, which then also writes the screenshot).
# Needs what `make test` needs: Go, the Kubernetes binaries and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBEBUILDER_ASSETS="${KUBEBUILDER_ASSETS:-$(./hack/k8s-binaries.sh)}"
out="$PWD/docs/ui.png"
go test -count=1 -timeout 10m -run '^TestPageInChromium$/^screenshot$' ./integrations/meshview/ui \
  -args -ui.screenshot "$out"
echo "rendered $out"
