// Package localcluster runs a throwaway Kubernetes cluster as local processes, with no
// container runtime and no Docker: a real control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler; see controlplane), a cluster DNS server
// (clusterdns), pod networking (podnet) and one process-based node agent per Node
// (kubelet). It is what `make demo`, meshprobe-localcluster and the e2e suite run.
//
// Every pod gets its own network namespace on a per-cluster bridge and a real pod IP:
// as root directly, without root inside a user namespace of the cluster's own
// (rootless, see PrepareRootless). A namespace-free fallback gives pods 127.x.y.z
// addresses instead (see kubelet's loopback adaptations).
package localcluster
