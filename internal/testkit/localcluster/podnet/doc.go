// Package podnet gives local "pods" their network: with root, each pod gets its own
// network namespace with a veth into a per-cluster Linux bridge (real pod IPs from the
// Node's podCIDR, routed through the bridge); without root, each pod gets a distinct
// 127.x.y.z loopback address instead (no isolation: processes bind that address).
package podnet

// Network is the part of pod networking the node agent uses. Implementations are
// safe for concurrent use.
type Network interface {
	// Isolated reports whether pods get their own network namespace.
	Isolated() bool
	// AddPod creates the pod's sandbox with ip and returns the netns name
	// ("" when not Isolated).
	AddPod(id string, ip string) (netns string, err error)
	// DelPod removes the pod's sandbox; when it returns, the pod's address answers
	// no more and its IP may be given to another pod. Removing a missing sandbox is
	// not an error.
	DelPod(id string) error
	// PodIP turns an address from a Node's podCIDR into the address the pod uses
	// (itself with netns; a 127.x.y.z mapping without).
	PodIP(cidrIP string) string
	// Gateway is the host's address that pods reach the host (apiserver, DNS) on.
	Gateway() string
	// Close removes every sandbox and the bridge.
	Close() error
}
