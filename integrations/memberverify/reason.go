package memberverify

// Reason says why a member is an impostor. The values are few and fixed: they
// are the reason label of meshprobe_mesh_impostor_members.
type Reason string

// Reasons, in the order Check tries them.
const (
	// ReasonBadName: the member's name is not <namespace>/<pod>/<uid8>.
	ReasonBadName Reason = "bad-name"
	// ReasonNamespaceMismatch: the name and the metadata claim different namespaces.
	ReasonNamespaceMismatch Reason = "namespace-mismatch"
	// ReasonPodMismatch: the name and the metadata claim different pods.
	ReasonPodMismatch Reason = "pod-mismatch"
	// ReasonUnknownPod: no live (not finished) pod has that namespace and name.
	ReasonUnknownPod Reason = "unknown-pod"
	// ReasonUIDMismatch: the pod's UID does not start with the name's uid8.
	ReasonUIDMismatch Reason = "uid-mismatch"
	// ReasonIPMismatch: the member's gossip address is not one of the pod's IPs.
	ReasonIPMismatch Reason = "ip-mismatch"
	// ReasonOwnerMismatch: the member announces an owner that is not the pod's.
	ReasonOwnerMismatch Reason = "owner-mismatch"
)

// Reasons returns every Reason, for pre-initialised metric labels.
func Reasons() []Reason {
	return []Reason{ReasonBadName, ReasonNamespaceMismatch, ReasonPodMismatch,
		ReasonUnknownPod, ReasonUIDMismatch, ReasonIPMismatch, ReasonOwnerMismatch}
}

// Description says what the reason means, for Events and log lines.
func (r Reason) Description() string {
	switch r {
	case ReasonBadName:
		return "its name is not <namespace>/<pod>/<uid8>"
	case ReasonNamespaceMismatch:
		return "its name and its metadata claim different namespaces"
	case ReasonPodMismatch:
		return "its name and its metadata claim different pods"
	case ReasonUnknownPod:
		return "no live pod has that namespace and name"
	case ReasonUIDMismatch:
		return "the pod's UID does not match the member's name"
	case ReasonIPMismatch:
		return "its gossip address is not the pod's IP"
	case ReasonOwnerMismatch:
		return "it announces an owner that is not the pod's"
	}
	return string(r)
}
