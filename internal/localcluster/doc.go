// Package localcluster runs a throwaway Kubernetes cluster as local processes, with no
// container runtime and no Docker: a real control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler; see controlplane), a cluster DNS server
// (clusterdns), pod networking (podnet) and one process-based node agent per Node
// (kubelet). It is what `make demo`, meshprobe-localcluster and the e2e suite run.
//
// As root every pod gets its own network namespace on a per-cluster bridge and real
// pod IPs; without root, pods get 127.x.y.z addresses in the host's namespace (see
// kubelet's loopback adaptations).
package localcluster
