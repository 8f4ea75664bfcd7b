package localcluster

import (
	"fmt"
	"net"
)

// realLayout splits the cluster range of real nodes (e.g. 10.244.0.0/16):
//
//   - pods: the lower half (10.244.0.0/17), a /24 per node, allocated by
//     kube-controller-manager;
//   - nodes: the last /24 (10.244.255.0/24) on the cluster's bridge, the host
//     (apiserver) on .254, node i on .i.
//
// Services use the control plane's default range, 10.96.0.0/16: ClusterIPs exist only
// in the nodes' network namespaces (kube-proxy's rules), so clusters on one machine
// may share it. The cluster DNS Service is 10.96.0.10.
type realLayout struct {
	pods    *net.IPNet
	nodeNet *net.IPNet
}

// clusterDNSIP is the kube-dns Service's ClusterIP in the default service range.
const clusterDNSIP = "10.96.0.10"

func newRealLayout(clusterCIDR string) (realLayout, error) {
	_, n, err := net.ParseCIDR(clusterCIDR)
	if err != nil || n.IP.To4() == nil {
		return realLayout{}, fmt.Errorf("localcluster: cluster CIDR %q: want an IPv4 CIDR", clusterCIDR)
	}
	ones, _ := n.Mask.Size()
	if ones > 22 {
		return realLayout{}, fmt.Errorf("localcluster: cluster CIDR %q: real nodes need at least a /22", clusterCIDR)
	}
	ip := n.IP.To4()
	last := make(net.IP, 4)
	for i := range 4 {
		last[i] = ip[i] | ^n.Mask[i]
	}
	return realLayout{
		pods:    &net.IPNet{IP: ip, Mask: net.CIDRMask(ones+1, 32)},
		nodeNet: &net.IPNet{IP: net.IPv4(last[0], last[1], last[2], 0).To4(), Mask: net.CIDRMask(24, 32)},
	}, nil
}

// nodeIP is the address of node i (1-based).
func (l realLayout) nodeIP(i int) net.IP {
	ip := l.nodeNet.IP.To4()
	return net.IPv4(ip[0], ip[1], ip[2], byte(i)).To4()
}
