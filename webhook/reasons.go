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
	// ReasonNameConflict: the pod has a container named meshprobe-sidecar without
	// the meshprobe.io/injected annotation, or a volume named like meshprobe's
	// that is not meshprobe's: injection would replace or duplicate it.
	ReasonNameConflict Reason = "name-conflict"
	// ReasonWindows: the pod runs on Windows nodes only (spec.os.name, or a
	// required kubernetes.io/os node selector or affinity); the sidecar is Linux.
	ReasonWindows Reason = "windows"
	// ReasonRunToCompletion: the pod is meant to exit (restartPolicy Never or
	// OnFailure: Jobs, CronJobs) and the sidecar cannot be native here, so it
	// would keep the pod running forever.
	ReasonRunToCompletion Reason = "run-to-completion"
	// ReasonPortConflict: the pod's containers use the sidecar's ports and every
	// port of the fallback range, or a port pinned in meshprobe.io/sidecar.
	ReasonPortConflict Reason = "port-conflict"
	// ReasonInvalidSidecar: the meshprobe.io/sidecar annotation is invalid. The
	// pod is injected with the cluster defaults and a warning, or denied in
	// strict mode.
	ReasonInvalidSidecar Reason = "invalid-sidecar"
	// ReasonNotCreate: the request is not a pod CREATE (DELETE, UPDATE, CONNECT).
	ReasonNotCreate Reason = "not-create"
	// ReasonBadRequest: the AdmissionReview or the pod in it could not be decoded.
	ReasonBadRequest Reason = "bad-request"
	// ReasonInternalError: the webhook failed to build its answer.
	ReasonInternalError Reason = "internal-error"
	// ReasonOverloaded: HTTPConfig.MaxInFlight requests were already being
	// handled; the request was refused with 503 (failurePolicy applies).
	ReasonOverloaded Reason = "overloaded"
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
	ReasonNameConflict:      "the pod has a container or volume named like meshprobe's (meshprobe-*) that meshprobe did not add",
	ReasonWindows:           "the pod runs on Windows nodes, and the sidecar is a Linux container",
	ReasonRunToCompletion:   "the pod runs to completion (restartPolicy Never or OnFailure) and the cluster has no native sidecars: a plain sidecar container would keep it running",
	ReasonPortConflict:      "the pod's containers use the sidecar's ports and every fallback port",
	ReasonInvalidSidecar:    "the meshprobe.io/sidecar annotation is invalid",
	ReasonNotCreate:         "only pod CREATE requests are mutated",
	ReasonBadRequest:        "the AdmissionReview could not be decoded",
	ReasonInternalError:     "meshprobe failed to build the patch",
	ReasonOverloaded:        "the webhook is handling as many admission requests as it may at once",
}

// alwaysWarn are the skips that tell every pod why, not only pods that opted in
// themselves: the pod asked for nothing unusual, injection would have broken it.
var alwaysWarn = []Reason{ReasonNameConflict, ReasonWindows, ReasonRunToCompletion, ReasonPortConflict}

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
		ReasonExcludedNamespace, ReasonHostNetwork, ReasonMirrorPod, ReasonNameConflict, ReasonWindows,
		ReasonRunToCompletion, ReasonPortConflict, ReasonInvalidSidecar, ReasonNotCreate,
		ReasonBadRequest, ReasonInternalError, ReasonOverloaded,
	}
}
