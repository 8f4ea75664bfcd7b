package webhook

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// PortRange is an inclusive range of ports.
type PortRange struct {
	First, Last int32
}

// String formats r as "first-last".
func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.First, r.Last) }

// ParsePortRange reads "first-last".
func ParsePortRange(s string) (PortRange, error) {
	a, b, ok := strings.Cut(s, "-")
	first, errA := strconv.ParseInt(strings.TrimSpace(a), 10, 32)
	last, errB := strconv.ParseInt(strings.TrimSpace(b), 10, 32)
	if !ok || errA != nil || errB != nil {
		return PortRange{}, fmt.Errorf("port range %q: want first-last, like 14102-14117", s)
	}
	return PortRange{First: int32(first), Last: int32(last)}, nil
}

// sidecarPorts are the ports one sidecar gets.
type sidecarPorts struct {
	gossip, http int32
	// inUse are the sidecar's default ports that the pod's containers declare.
	inUse []int32
}

// podPorts returns every port number a container or init container of the pod
// declares, as containerPort or hostPort, of any protocol: a TCP app port
// collides with the gossip TCP socket, a UDP one with the gossip UDP socket.
func podPorts(pod *corev1.Pod) map[int32]bool {
	taken := map[int32]bool{}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			for _, p := range c.Ports {
				taken[p.ContainerPort] = true
				if p.HostPort != 0 {
					taken[p.HostPort] = true
				}
			}
		}
	}
	return taken
}

// choosePorts picks the sidecar's ports for pod: the pinned ones as they are,
// else the defaults, else the lowest free ports of the range. It reports
// ReasonPortConflict when a pinned port is taken or the range has no free port.
func choosePorts(pod *corev1.Pod, cfg *Config, pinned PortSettings) (sidecarPorts, Reason, string) {
	taken := podPorts(pod)
	var out sidecarPorts
	pick := func(name string, pin *int32, def int32) (int32, string) {
		if pin != nil {
			if taken[*pin] {
				return 0, fmt.Sprintf("the %s port %d pinned by %s is taken", name, *pin, contract.AnnotationSidecar)
			}
			taken[*pin] = true
			return *pin, ""
		}
		if !taken[def] {
			taken[def] = true
			return def, ""
		}
		out.inUse = append(out.inUse, def)
		for p := cfg.PortRange.First; p <= cfg.PortRange.Last; p++ {
			if !taken[p] && p != cfg.GossipPort && p != cfg.HTTPPort {
				taken[p] = true
				return p, ""
			}
		}
		return 0, fmt.Sprintf("%s port %d and every port of %s are taken", name, def, cfg.PortRange)
	}
	var problem string
	if out.gossip, problem = pick("gossip", pinned.Gossip, cfg.GossipPort); problem != "" {
		return out, ReasonPortConflict, problem
	}
	if out.http, problem = pick("http", pinned.HTTP, cfg.HTTPPort); problem != "" {
		return out, ReasonPortConflict, problem
	}
	return out, ReasonInjected, ""
}

// movedWarning is the admission warning for a sidecar whose ports moved off the
// defaults, or "" when they did not.
func (p sidecarPorts) movedWarning() string {
	if len(p.inUse) == 0 {
		return ""
	}
	used := make([]string, 0, len(p.inUse))
	for _, port := range slices.Sorted(slices.Values(p.inUse)) {
		used = append(used, strconv.Itoa(int(port)))
	}
	return fmt.Sprintf("meshprobe: the pod's containers use meshprobe's default port(s) %s: the sidecar uses gossip port %d (TCP and UDP) and HTTP port %d instead",
		strings.Join(used, " and "), p.gossip, p.http)
}
