#!/usr/bin/env bash
# Draws the Grafana dashboard's panels as PNG files into docs/dashboard/, from a real
# Prometheus that scrapes real meshprobe processes (the same run as the monitoring
# test in manifests/monitoring, which then renders instead of only asserting).
# RENDER_WAIT (default 8m; the recorded 5m rates need 5 minutes to settle) is how long data is collected before drawing.
# Needs what `make test` needs: Go, the Kubernetes binaries and Debian's prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBEBUILDER_ASSETS="${KUBEBUILDER_ASSETS:-$(./hack/k8s-binaries.sh)}"
out="$PWD/docs/dashboard"
go test -count=1 -timeout 30m -run '^TestMonitoringOnRealPrometheus$' ./manifests/monitoring \
  -args -render "$out" -render-wait "${RENDER_WAIT:-8m}"
echo "rendered into $out:"
ls -1 "$out"
