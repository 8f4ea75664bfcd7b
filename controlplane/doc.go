// Package controlplane is the meshprobe-webhook program: the replica of
// meshprobe's control plane that the Deployment runs twice. Main parses the
// flags (or a --config file), then runs until SIGTERM:
//
//   - the mutating admission webhook (package webhook) on HTTPS, reloading its
//     serving certificate, with /healthz, /readyz and Prometheus /metrics
//     (serve.go, endpoints.go);
//   - on every replica, the shared informers and a gossip seed member
//     (controlplane.go, mesh.go);
//   - Lease leader election, and on the leader only the heartbeat API, the
//     ThousandEyes sync, the gossip-key Secrets, missed-injection reports,
//     the built-in webhook certificates and the cluster-checks ConfigMap
//     (leader.go, trust.go, clusterchecks.go).
//
// Native-sidecar support is detected from the API server's version
// (nativesidecar.go). The packages under integrations/ do the work; this one
// only wires them together. README.md lists what runs where, the flags by
// file, and the ports.
package controlplane
