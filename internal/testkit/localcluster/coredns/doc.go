// Package coredns deploys the official CoreDNS into a local cluster the way kubeadm
// does: a Deployment in kube-system with its ServiceAccount and RBAC, the Corefile in a
// ConfigMap, and the kube-dns Service on the ClusterIP the kubelets hand to pods as
// their nameserver. Nothing of it is meshprobe's own: the kubelets' clusterDNS points
// at the Service, kube-proxy routes it to the CoreDNS pods.
//
// The Corefile is kubeadm's without the forward and loop plugins: the nodes have no
// route to an upstream resolver, so names outside the cluster domain fail at once.
package coredns
