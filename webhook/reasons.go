package webhook

// Reason says why the webhook did what it did to one admission request. It is the
// reason label of meshprobe_webhook_admissions_total, so the set is fixed.
type Reason string

// Reasons, one per decision the webhook can take.
const (
	// ReasonInjected: the sidecar was added.
	ReasonInjected Reason = "injected"
	// ReasonInvalidChecks: the meshprobe.io/checks annotation does not parse. The pod
	// is injected with an admission warning, or denied in strict mode.
	ReasonInvalidChecks Reason = "invalid-checks"
	// ReasonAlreadyInjected: the pod already has the sidecar (reinvocation, or a
	// second matching webhook entry).
	ReasonAlreadyInjected Reason = "already-injected"
	// ReasonOptedOut: the pod carries meshprobe.io/inject: "false".
	ReasonOptedOut Reason = "opted-out"
	// ReasonExcludedNamespace: the pod's namespace is a system namespace or
	// meshprobe's own.
	ReasonExcludedNamespace Reason = "excluded-namespace"
	// ReasonHostNetwork: the pod uses hostNetwork: true.
	ReasonHostNetwork Reason = "host-network"
	// ReasonMirrorPod: the pod is a kubelet mirror of a static pod; mutating it
	// would make the kubelet recreate it forever.
	ReasonMirrorPod Reason = "mirror-pod"
	// ReasonNotCreate: the request is not a pod CREATE (DELETE, UPDATE, CONNECT).
	ReasonNotCreate Reason = "not-create"
	// ReasonBadRequest: the AdmissionReview or the pod in it could not be decoded.
	ReasonBadRequest Reason = "bad-request"
	// ReasonInternalError: the webhook failed to build its answer.
	ReasonInternalError Reason = "internal-error"
)

// Result is the result label of meshprobe_webhook_admissions_total.
type Result string

// Results of one admission request.
const (
	ResultInjected Result = "injected"
	ResultSkipped  Result = "skipped"
	ResultDenied   Result = "denied"
	ResultError    Result = "error"
)

// reasonMessages is the human-readable text of each Reason. It feeds admission
// response messages and warnings; tests check that every Reason has one.
var reasonMessages = map[Reason]string{
	ReasonInjected:          "meshprobe sidecar injected",
	ReasonInvalidChecks:     "the meshprobe.io/checks annotation is invalid",
	ReasonAlreadyInjected:   "pod already has the meshprobe sidecar",
	ReasonOptedOut:          `pod opted out with label meshprobe.io/inject: "false"`,
	ReasonExcludedNamespace: "namespace is excluded from injection (system namespaces and meshprobe's own are never injected)",
	ReasonHostNetwork:       "pod uses hostNetwork: true, which meshprobe never injects",
	ReasonMirrorPod:         "pod is a static (mirror) pod, which meshprobe never injects",
	ReasonNotCreate:         "only pod CREATE requests are mutated",
	ReasonBadRequest:        "the AdmissionReview could not be decoded",
	ReasonInternalError:     "meshprobe failed to build the patch",
}

// Message returns the human-readable text of r.
func (r Reason) Message() string {
	if m, ok := reasonMessages[r]; ok {
		return m
	}
	return string(r)
}

// Reasons returns every Reason, in a stable order.
func Reasons() []Reason {
	return []Reason{
		ReasonInjected, ReasonInvalidChecks, ReasonAlreadyInjected, ReasonOptedOut,
		ReasonExcludedNamespace, ReasonHostNetwork, ReasonMirrorPod, ReasonNotCreate,
		ReasonBadRequest, ReasonInternalError,
	}
}
