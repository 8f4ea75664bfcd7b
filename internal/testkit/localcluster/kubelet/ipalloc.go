package kubelet

import (
	"fmt"
	"net"
	"sync"
)

// ipAllocator hands out addresses from the node's podCIDR, starting at .2.
type ipAllocator struct {
	mu   sync.Mutex
	base net.IP
	size int
	used map[int]string // offset -> pod key
}

func newIPAllocator(cidr string) (*ipAllocator, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil || n.IP.To4() == nil {
		return nil, fmt.Errorf("node podCIDR %q: want IPv4", cidr)
	}
	ones, bits := n.Mask.Size()
	return &ipAllocator{base: n.IP.To4(), size: 1 << (bits - ones), used: map[int]string{}}, nil
}

func (a *ipAllocator) allocate(owner string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for off := 2; off < a.size-1; off++ {
		if _, taken := a.used[off]; !taken {
			a.used[off] = owner
			return a.at(off).String(), nil
		}
	}
	return "", fmt.Errorf("podCIDR exhausted")
}

func (a *ipAllocator) release(ip string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for off := range a.used {
		if a.at(off).String() == ip {
			delete(a.used, off)
		}
	}
}

func (a *ipAllocator) at(off int) net.IP {
	ip := make(net.IP, 4)
	v := uint32(a.base[0])<<24 | uint32(a.base[1])<<16 | uint32(a.base[2])<<8 | uint32(a.base[3])
	v += uint32(off)
	ip[0], ip[1], ip[2], ip[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return ip
}
