// Package sidecar is the meshprobe-sidecar agent that the webhook injects into
// application pods. It reads its identity from the environment and the Downward
// API files (labels and annotations, re-read when the kubelet updates them), runs
// a gossip member (package gossip) that measures RTT to its peers, and serves
// /metrics, /healthz, /readyz and the /api/v1 JSON endpoints on its HTTP port. On
// SIGTERM it leaves the mesh gracefully before it exits.
//
// The sidecar needs no Kubernetes API access: everything comes from env, files
// and gossip.
package sidecar
