package monitoring

// How the control plane's pods are found: the labels and the metrics port name of the
// meshprobe-webhook Deployment in manifests/base.
const controlPlaneMetricsPort = "metrics"

var controlPlaneSelector = map[string]string{"app.kubernetes.io/name": "meshprobe-webhook"}
