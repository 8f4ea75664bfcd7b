package memberverify

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	listerv1 "k8s.io/client-go/listers/core/v1"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/webhook"
)

// Verdict is what Check found out about one member.
type Verdict struct {
	// Reason is empty when the member's claim checks out.
	Reason Reason
	// Pod is the claimed pod when it exists (also for an impostor).
	Pod *corev1.Pod
}

// OK reports whether the member's claim checks out.
func (v Verdict) OK() bool { return v.Reason == "" }

// Check verifies one member's claim against the pods in pods (the control
// plane's informer cache): the name and the metadata claim the same pod, which
// exists and is not finished, whose UID matches the name, one of whose IPs is
// the member's gossip address, and whose owner is the one the member announces
// (a member that announces no owner claims none). It reads only the cache.
func Check(m gossip.Member, pods listerv1.PodLister) Verdict {
	ns, pod, uid8, ok := parseName(m.Name)
	switch {
	case !ok:
		return Verdict{Reason: ReasonBadName}
	case !sameClaim(m.Meta.Namespace, ns, false):
		return Verdict{Reason: ReasonNamespaceMismatch}
	case !sameClaim(m.Meta.Pod, pod, m.Meta.Truncated):
		return Verdict{Reason: ReasonPodMismatch}
	}
	p, err := pods.Pods(ns).Get(pod)
	if err != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return Verdict{Reason: ReasonUnknownPod, Pod: p}
	}
	v := Verdict{Pod: p}
	switch {
	case gossip.MemberName(ns, pod, string(p.UID)) != ns+"/"+pod+"/"+uid8:
		v.Reason = ReasonUIDMismatch
	case !hasIP(p, m.Addr):
		v.Reason = ReasonIPMismatch
	case !ownerMatches(m.Meta, p):
		v.Reason = ReasonOwnerMismatch
	}
	return v
}

// parseName splits a member name "<namespace>/<pod>/<uid8>" (gossip.MemberName).
func parseName(name string) (ns, pod, uid8 string, ok bool) {
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// sameClaim reports whether the metadata's value claims actual; a value that
// gossip.Meta.Encode shortened (truncated) keeps a prefix of at least 16 bytes.
func sameClaim(claimed, actual string, truncated bool) bool {
	if claimed == actual {
		return true
	}
	return truncated && len(claimed) >= 16 && strings.HasPrefix(actual, claimed)
}

// hasIP reports whether addr ("ip:port") is on one of the pod's IPs.
func hasIP(p *corev1.Pod, addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	ips := []string{p.Status.PodIP}
	for _, pip := range p.Status.PodIPs {
		ips = append(ips, pip.IP)
	}
	for _, s := range ips {
		if a, err := netip.ParseAddr(s); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}

// ownerMatches reports whether the owner the metadata announces, if any, is
// the pod's (as the webhook derives it when it injects the sidecar).
func ownerMatches(meta gossip.Meta, p *corev1.Pod) bool {
	if meta.OwnerKind == "" && meta.OwnerName == "" {
		return true
	}
	o := webhook.OwnerOf(p)
	return meta.OwnerKind == o.Kind && sameClaim(meta.OwnerName, o.Name, meta.Truncated)
}
