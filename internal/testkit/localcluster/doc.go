// Package localcluster runs a throwaway Kubernetes cluster on this machine, with no
// Docker and no registry: a real control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler; see controlplane) and, as root, real nodes
// (realnode: the official kubelet with containerd, runc and the CNI bridge plugin, and
// kube-proxy, each node in its own network namespace on the cluster's bridge) with
// CoreDNS deployed as an ordinary Deployment (coredns). It is what `make demo`,
// meshprobe-localcluster and the e2e suite run.
//
// Without root it falls back to process nodes: a process-based stand-in for the
// kubelet per Node (kubelet), our own cluster DNS server (clusterdns) and pod networking
// (podnet), inside a user namespace of the cluster's own (rootless, see
// PrepareRootless). README.md says what each kind runs and how it differs from a
// production cluster.
package localcluster
