package heartbeat

// Status is a heartbeat's verdict on a workload.
type Status string

// Verdicts and the HTTP status codes they are answered with.
const (
	// StatusHealthy is answered with 200.
	StatusHealthy Status = "healthy"
	// StatusDegraded is answered with 503.
	StatusDegraded Status = "degraded"
	// StatusUnknown (no such workload) is answered with 404.
	StatusUnknown Status = "unknown"
)

// Reason codes in a verdict. Each degraded verdict carries at least one.
const (
	// ReasonUnavailable: the Deployment's Available condition is False.
	ReasonUnavailable = "Unavailable"
	// ReasonReplicasUnavailable: fewer replicas are available than desired.
	ReasonReplicasUnavailable = "ReplicasUnavailable"
	// ReasonProgressDeadlineExceeded: the Deployment's rollout is stuck.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonCrashLooping: at least one of the workload's pods is in CrashLoopBackOff.
	ReasonCrashLooping = "CrashLoopBackOff"
	// ReasonMeshUnreachable: the workload has ready injected pods but none of them
	// is alive in the gossip mesh as the leader sees it. Only members whose
	// claimed pod checks out count (see MeshView), so a member that lies about
	// its pod can neither hide this reason nor cause it.
	ReasonMeshUnreachable = "MeshUnreachable"
	// ReasonNotFound: no such workload (the verdict is unknown).
	ReasonNotFound = "NotFound"
)

// Verdict is the JSON body of a heartbeat answer.
type Verdict struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	// Status is healthy, degraded or unknown.
	Status Status `json:"status"`
	// Reasons explain a degraded or unknown verdict; empty when healthy.
	Reasons []Reason `json:"reasons"`
	// Replicas are the workload's own counts; absent when unknown.
	Replicas *Replicas `json:"replicas,omitempty"`
	// ProgressDeadlineExceeded is true when a Deployment's rollout is stuck.
	ProgressDeadlineExceeded bool `json:"progressDeadlineExceeded"`
	// Pods summarises all of the workload's pods; absent when unknown.
	Pods *PodSummary `json:"pods,omitempty"`
	// Mesh reports gossip membership; absent when the leader has no gossip member.
	Mesh *MeshSummary `json:"mesh,omitempty"`
}

// Reason is one cause of a verdict.
type Reason struct {
	// Code is one of the Reason* constants.
	Code string `json:"code"`
	// Message says what was seen, for humans.
	Message string `json:"message"`
}

// Replicas are a workload's replica counts from its status. For a DaemonSet,
// desired is desiredNumberScheduled, updated updatedNumberScheduled, ready
// numberReady and available numberAvailable.
type Replicas struct {
	Desired   int32 `json:"desired"`
	Updated   int32 `json:"updated"`
	Ready     int32 `json:"ready"`
	Available int32 `json:"available"`
}

// PodSummary counts the workload's active (not terminating, not finished) pods.
type PodSummary struct {
	Total        int   `json:"total"`
	Ready        int   `json:"ready"`
	CrashLooping int   `json:"crashLooping"`
	Restarts     int32 `json:"restarts"`
	// CrashLoopingPods names up to maxNamedPods crash-looping pods, sorted.
	CrashLoopingPods []string `json:"crashLoopingPods,omitempty"`
}

// MeshSummary says how many of the workload's pods are in the gossip mesh.
type MeshSummary struct {
	// Injected counts active pods that carry the meshprobe sidecar.
	Injected int `json:"injected"`
	// Alive counts the workload's members that the leader's gossip member sees
	// alive and whose claimed pod checks out.
	Alive int `json:"alive"`
}

// MeshView reports gossip membership as the leader's own member sees it.
// Implementations must be safe for concurrent use and must answer from memory:
// AliveMembers is called on every heartbeat request. Any holder of the gossip
// key can join and announce any namespace and owner, so the control plane
// passes memberverify.View, which counts only members whose claimed pod (name,
// namespace, UID, IP and owner) checks out against its pod cache.
type MeshView interface {
	// AliveMembers returns how many members owned by ownerKind/ownerName in
	// namespace are alive. ownerKind is contract.OwnerDeployment,
	// contract.OwnerStatefulSet or contract.OwnerDaemonSet.
	AliveMembers(namespace, ownerKind, ownerName string) int
}
