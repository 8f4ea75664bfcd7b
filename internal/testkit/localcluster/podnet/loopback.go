package podnet

import (
	"net"
)

// Loopback is the Network without root: pods share the host's network namespace and
// each gets its own 127.x.y.z address, mapped from its podCIDR address by keeping the
// last three octets (10.244.1.7 becomes 127.244.1.7).
type Loopback struct{}

// Isolated is false.
func (Loopback) Isolated() bool { return false }

// AddPod has nothing to create: every 127/8 address is already local.
func (Loopback) AddPod(string, string) (string, error) { return "", nil }

// DelPod has nothing to remove.
func (Loopback) DelPod(string) error { return nil }

// PodIP maps a podCIDR address into 127/8.
func (Loopback) PodIP(ip string) string {
	v4 := net.ParseIP(ip).To4()
	if v4 == nil {
		return ip
	}
	return net.IPv4(127, v4[1], v4[2], v4[3]).String()
}

// Gateway is 127.0.0.1.
func (Loopback) Gateway() string { return "127.0.0.1" }

// Close has nothing to remove.
func (Loopback) Close() error { return nil }
