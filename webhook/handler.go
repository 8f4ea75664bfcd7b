package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Handler is the pod admission handler: decode, mutate a deep copy, answer with a
// JSON patch. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	strict  bool
	log     *slog.Logger
	metrics *Metrics
}

var _ admission.Handler = (*Handler)(nil)

// NewHandler validates cfg and returns a Handler. In strict mode a pod whose
// meshprobe.io/checks annotation is invalid is denied instead of injected with a
// warning.
func NewHandler(cfg Config, strict bool, log *slog.Logger, m *Metrics) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, strict: strict, log: log, metrics: m}, nil
}

// Handle answers one AdmissionRequest for a pod.
func (h *Handler) Handle(_ context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create {
		return h.skip(ReasonNotCreate, nil)
	}
	if err := checkPodKind(req.Kind); err != nil {
		return h.bad(err)
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(req.Object.Raw, pod); err != nil {
		return h.bad(fmt.Errorf("request.object is not a valid v1 Pod: %w", err))
	}
	namespace := req.Namespace
	if namespace == "" {
		namespace = pod.Namespace
	}
	out, reason := Mutate(pod, namespace, &h.cfg)
	if reason != ReasonInjected {
		return h.skip(reason, pod)
	}
	problems := checksProblems(pod)
	if len(problems) > 0 && h.strict {
		h.metrics.observe(ResultDenied, ReasonInvalidChecks)
		h.log.Info("denied pod with invalid checks", "namespace", namespace, "pod", podName(pod), "problems", problems)
		return admission.Denied("meshprobe: " + joinProblems(problems))
	}
	return h.patch(pod, out, problems)
}

func (h *Handler) patch(pod, out *corev1.Pod, problems []string) admission.Response {
	keepInit, keep := len(pod.Spec.InitContainers), len(pod.Spec.Containers)
	original, errOrig := json.Marshal(touchedFields(pod, keepInit, keep))
	mutated, errMut := json.Marshal(touchedFields(out, keepInit, keep))
	if err := errors.Join(errOrig, errMut); err != nil {
		h.metrics.observe(ResultError, ReasonInternalError)
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("webhook: encoding the injected pod: %w", err))
	}
	resp := admission.PatchResponseFromRaw(original, mutated)
	if resp.Result != nil && resp.Result.Code >= http.StatusBadRequest {
		h.metrics.observe(ResultError, ReasonInternalError)
		return resp
	}
	reason := ReasonInjected
	if len(problems) > 0 {
		reason = ReasonInvalidChecks
		resp.Warnings = warnings(problems)
	}
	h.metrics.observe(ResultInjected, reason)
	h.log.Debug("injected pod", "namespace", out.Namespace, "pod", podName(out), "reason", reason)
	return resp
}

// skip answers a plain Allowed. A pod that asked for injection itself
// (meshprobe.io/inject: "true") and is skipped anyway gets a warning saying why.
func (h *Handler) skip(reason Reason, pod *corev1.Pod) admission.Response {
	h.metrics.observe(ResultSkipped, reason)
	resp := admission.Allowed(reason.Message())
	if pod != nil && OptedIn(pod) && reason != ReasonAlreadyInjected {
		resp.Warnings = []string{"meshprobe: sidecar not injected: " + reason.Message()}
	}
	return resp
}

func (h *Handler) bad(err error) admission.Response {
	h.metrics.observe(ResultError, ReasonBadRequest)
	h.log.Warn("bad admission request", "err", err)
	return admission.Errored(http.StatusBadRequest, fmt.Errorf("meshprobe: %w", err))
}

func podName(p *corev1.Pod) string {
	if p.Name != "" {
		return p.Name
	}
	return p.GenerateName + "*"
}

// podFields is the part of a pod that Mutate may change, in the pod's own JSON
// layout, so a JSON patch computed between two of them applies to the whole pod.
type podFields struct {
	Metadata struct {
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"metadata"`
	Spec struct {
		InitContainers []corev1.Container `json:"initContainers,omitempty"`
		Containers     []corev1.Container `json:"containers"`
		Volumes        []corev1.Volume    `json:"volumes,omitempty"`
	} `json:"spec"`
}

// touchedFields returns the fields of p that Mutate may change. Diffing these
// instead of the whole pod is several times cheaper, and leaves every other field,
// including any this build of the API types does not know, out of the patch.
// Mutate appends the sidecar and never changes the containers a pod already has,
// so those (the first keep containers and keepInit init containers) are
// represented by their names alone.
func touchedFields(p *corev1.Pod, keepInit, keep int) *podFields {
	f := &podFields{}
	f.Metadata.Labels, f.Metadata.Annotations = p.Labels, p.Annotations
	f.Spec.InitContainers = nameOnly(p.Spec.InitContainers, keepInit)
	f.Spec.Containers = nameOnly(p.Spec.Containers, keep)
	f.Spec.Volumes = p.Spec.Volumes
	return f
}

// nameOnly returns cs with its first n containers reduced to their names.
func nameOnly(cs []corev1.Container, n int) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i := range cs {
		if i < n {
			out[i] = corev1.Container{Name: cs[i].Name}
		} else {
			out[i] = cs[i]
		}
	}
	return out
}
