package realnode

import (
	"path/filepath"
)

// SetPodCIDR writes the node's CNI configuration for its podCIDR (which
// kube-controller-manager allocated): a bridge cni0 in the node's network namespace
// with the first address of the range as the pods' gateway, host-local addresses,
// no masquerading (pod IPs are routed between nodes and to the host as they are).
// containerd picks the file up, and the kubelet reports the node Ready.
func (n *Node) SetPodCIDR(cidr string) error {
	return writeTemplate(filepath.Join(n.paths.cniConf, "10-meshprobe.conflist"), "cni.conflist", map[string]string{
		"PodCIDR": cidr, "IPAMDir": n.paths.ipam,
	})
}
