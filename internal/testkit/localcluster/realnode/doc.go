// Package realnode runs a real Kubernetes node on this machine, as root: containerd
// (with its CRI plugin, runc and the CNI bridge plugin), the official kubelet and the
// official kube-proxy (iptables mode), all inside the node's own network namespace.
//
// One machine hosts several nodes, so everything a node owns is its own: a network
// namespace with a veth into the cluster's bridge and the node's IP, a containerd with
// its own root, state, socket and runc root (the kubelet garbage-collects sandboxes it
// does not know, and CRI uses the fixed "k8s.io" namespace, so two kubelets cannot share
// one runtime), a kubelet root directory, pod log directory and CNI configuration, and
// a cgroup subtree (the kubelet's cgroupRoot) that also holds the node's daemons, so
// that stopping a node kills every process it started, containers and shims included.
//
// The processes start through `meshprobe-localcluster node-exec` (ExecMain), which
// joins the node's cgroup and network namespace and execs the component; they share
// the host's mount namespace, so the kubelet's volume mounts are the ones containerd
// bind-mounts into containers. Stop unmounts whatever is left under the node's
// directory, and Sweep cleans up after a run that was killed outright.
package realnode
