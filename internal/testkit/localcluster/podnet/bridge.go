package podnet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bridge is the root-only Network: a Linux bridge with the host on the last address of
// the cluster CIDR, and one network namespace plus veth pair per pod.
type Bridge struct {
	name    string // bridge device, also the prefix of netns names
	cidr    *net.IPNet
	gateway net.IP

	mu   sync.Mutex
	pods map[string]string // id -> netns
}

// NewBridge creates the bridge for clusterCIDR (e.g. "10.244.0.0/16"). id is a short
// unique cluster id (letters and digits, at most 8) used to name devices and netns.
func NewBridge(id, clusterCIDR string) (*Bridge, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("podnet: bridge networking needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, errors.New("podnet: the ip command (iproute2) is missing")
	}
	_, cidr, err := net.ParseCIDR(clusterCIDR)
	if err != nil || cidr.IP.To4() == nil {
		return nil, fmt.Errorf("podnet: cluster CIDR %q: want an IPv4 CIDR", clusterCIDR)
	}
	sweepStale()
	b := &Bridge{name: "mpbr" + id, cidr: cidr, gateway: lastHost(cidr), pods: map[string]string{}}
	ones, _ := cidr.Mask.Size()
	_ = run("ip", "link", "del", b.name) // a leftover from a crashed run with the same id
	if err := runAll(
		[]string{"ip", "link", "add", b.name, "type", "bridge"},
		[]string{"ip", "addr", "add", fmt.Sprintf("%s/%d", b.gateway, ones), "dev", b.name},
		[]string{"ip", "link", "set", b.name, "up"},
	); err != nil {
		_ = run("ip", "link", "del", b.name)
		return nil, fmt.Errorf("podnet: creating bridge %s: %w", b.name, err)
	}
	b.recordOwner()
	return b, nil
}

// Isolated is true: every pod has its own network namespace.
func (b *Bridge) Isolated() bool { return true }

// Gateway is the bridge's host address.
func (b *Bridge) Gateway() string { return b.gateway.String() }

// PodIP returns ip unchanged.
func (b *Bridge) PodIP(ip string) string { return ip }

// AddPod creates netns and veth for the pod and gives it ip with a default route
// through the bridge. The pod's eth0 gets a MAC address made from ip, so a pod that
// later gets the same IP is reached at once through the neighbour caches of the
// others.
func (b *Bridge) AddPod(id, ip string) (string, error) {
	mac, err := macOf(ip)
	if err != nil {
		return "", fmt.Errorf("podnet: sandbox for %s: %w", id, err)
	}
	netns, veth := b.names(id)
	ones, _ := b.cidr.Mask.Size()
	_ = delSandbox(netns) // a leftover of the same pod
	err = runAll(
		[]string{"ip", "netns", "add", netns},
		[]string{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "address", mac, "netns", netns},
		[]string{"ip", "link", "set", veth, "master", b.name, "up"},
		[]string{"ip", "-n", netns, "addr", "add", fmt.Sprintf("%s/%d", ip, ones), "dev", "eth0"},
		[]string{"ip", "-n", netns, "link", "set", "eth0", "up"},
		[]string{"ip", "-n", netns, "link", "set", "lo", "up"},
		[]string{"ip", "-n", netns, "route", "add", "default", "via", b.gateway.String()},
	)
	if err != nil {
		_ = delSandbox(netns)
		return "", fmt.Errorf("podnet: sandbox for %s: %w", id, err)
	}
	b.mu.Lock()
	b.pods[id] = netns
	b.mu.Unlock()
	return netns, nil
}

// DelPod deletes the pod's veth pair and netns; when it returns, the pod's address
// answers no more and its IP, netns and veth names can be used again.
func (b *Bridge) DelPod(id string) error {
	netns, _ := b.names(id)
	b.mu.Lock()
	delete(b.pods, id)
	b.mu.Unlock()
	if err := delSandbox(netns); err != nil {
		return fmt.Errorf("podnet: deleting sandbox of %s: %w", id, err)
	}
	return nil
}

// delSandbox deletes the veth pair of netns, then netns; missing parts are skipped.
// The order matters: deleting a link is synchronous (the kernel answers once the
// device and its addresses are unregistered), whereas `ip netns del` only drops a
// reference and the kernel destroys the namespace later, so its eth0 could live on,
// plugged into the bridge and answering for the pod's IP, and its host-side veth
// would block a new one of the same name. What the namespace keeps after this
// (its loopback) is unreachable from outside.
func delSandbox(netns string) error {
	var errs []error
	if veth := vethOf(netns); linkExists(veth) {
		errs = append(errs, run("ip", "link", "del", veth))
	}
	if _, err := os.Stat(filepath.Join(netnsDir, netns)); err == nil {
		errs = append(errs, run("ip", "netns", "del", netns))
	}
	return errors.Join(errs...)
}

// linkExists reports whether the host's network namespace has a link called name.
func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// Close deletes every pod sandbox and the bridge.
func (b *Bridge) Close() error {
	b.mu.Lock()
	ids := make([]string, 0, len(b.pods))
	for id := range b.pods {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	var errs []error
	for _, id := range ids {
		errs = append(errs, b.DelPod(id))
	}
	// Sweep sandboxes that a racing AddPod (or a killed run) may have left behind.
	if entries, err := os.ReadDir(netnsDir); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), b.name+"-") {
				errs = append(errs, delSandbox(e.Name()))
			}
		}
	}
	if err := run("ip", "link", "del", b.name); err != nil {
		errs = append(errs, fmt.Errorf("podnet: deleting bridge %s: %w", b.name, err))
	}
	_ = os.Remove(filepath.Join(ownerDir, b.name))
	return errors.Join(errs...)
}

// netnsDir is where `ip netns` keeps named network namespaces.
const netnsDir = "/run/netns"

// names derives the netns and host-side veth names (at most 15 bytes) from the pod id.
func (b *Bridge) names(id string) (netns, veth string) {
	sum := sha256.Sum256([]byte(id))
	netns = b.name + "-" + hex.EncodeToString(sum[:])[:12]
	return netns, vethOf(netns)
}

// vethOf is the host-side veth name of a netns that names made: the bridge name has
// no '-', so what follows the last one is the pod id's hash.
func vethOf(netns string) string {
	return "mpv" + netns[strings.LastIndexByte(netns, '-')+1:]
}

// macOf is the pod MAC address for an IPv4 address: the locally administered prefix
// 0a:58 (as OVN-Kubernetes uses) followed by the address's four bytes.
func macOf(ip string) (string, error) {
	v4 := net.ParseIP(ip).To4()
	if v4 == nil {
		return "", fmt.Errorf("pod IP %q: want an IPv4 address", ip)
	}
	return net.HardwareAddr{0x0a, 0x58, v4[0], v4[1], v4[2], v4[3]}.String(), nil
}

func lastHost(n *net.IPNet) net.IP {
	ip := n.IP.To4()
	out := make(net.IP, 4)
	for i := range 4 {
		out[i] = ip[i] | ^n.Mask[i]
	}
	out[3]--
	return out
}

func runAll(cmds ...[]string) error {
	for _, c := range cmds {
		if err := run(c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}

func run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ownerDir records which process owns each bridge, so a later run can remove the
// bridges and network namespaces of a run that was killed before it could clean up.
const ownerDir = "/run/meshprobe-localcluster"

func (b *Bridge) recordOwner() {
	if err := os.MkdirAll(ownerDir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(ownerDir, b.name), []byte(strconv.Itoa(os.Getpid())), 0o644)
	}
}

// sweepStale deletes the bridge and sandboxes of every recorded owner that is gone.
func sweepStale() {
	entries, err := os.ReadDir(ownerDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(ownerDir, e.Name()))
		pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || perr != nil || syscall.Kill(pid, 0) == nil {
			continue // unreadable, or its owner still runs
		}
		stale := &Bridge{name: e.Name(), pods: map[string]string{}}
		_ = stale.Close()
	}
}
