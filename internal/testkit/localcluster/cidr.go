package localcluster

import (
	"fmt"
	"math/rand/v2"
	"net"
)

// freeClusterCIDR returns want when no local interface address falls in it, else the
// first 10.X.0.0/16 (X from a random start in 200-249) that is free, so that two local
// clusters on one machine (a demo and a CI run, say) never share a pod range.
func freeClusterCIDR(want string) (string, error) {
	_, n, err := net.ParseCIDR(want)
	if err != nil {
		return "", fmt.Errorf("localcluster: cluster CIDR %q: %w", want, err)
	}
	used := localNets()
	if !overlaps(n, used) {
		return want, nil
	}
	start := rand.IntN(50)
	for i := range 50 {
		cand := &net.IPNet{IP: net.IPv4(10, byte(200+(start+i)%50), 0, 0).To4(), Mask: net.CIDRMask(16, 32)}
		if !overlaps(cand, used) {
			return cand.String(), nil
		}
	}
	return "", fmt.Errorf("localcluster: %s is in use and no free 10.200-249.0.0/16 range is left", want)
}

func localNets() []*net.IPNet {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []*net.IPNet
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			out = append(out, n)
		}
	}
	return out
}

func overlaps(n *net.IPNet, used []*net.IPNet) bool {
	for _, u := range used {
		if n.Contains(u.IP) || u.Contains(n.IP) {
			return true
		}
	}
	return false
}
