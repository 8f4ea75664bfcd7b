package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Handler is the pod admission handler: decode, mutate a deep copy, answer with a
// JSON patch. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
}

var _ admission.Handler = (*Handler)(nil)

// NewHandler validates cfg and returns a Handler. With cfg.Strict a pod whose
// meshprobe.io annotations are invalid is denied instead of injected with a
// warning.
func NewHandler(cfg Config, m *Metrics, log *slog.Logger) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, log: log, metrics: m}, nil
}

// Handle answers one AdmissionRequest for a pod.
func (h *Handler) Handle(_ context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create {
		return h.skip(ReasonNotCreate, nil)
	}
	if err := checkPodKind(req.Kind); err != nil {
		return h.bad(err)
	}
	pod, err := requestPod(req)
	if err != nil {
		return h.bad(err)
	}
	namespace := req.Namespace
	if namespace == "" {
		namespace = pod.Namespace
	}
	d := Inject(pod, namespace, &h.cfg)
	if d.Reason != ReasonInjected {
		return h.skip(d.Reason, d.Warnings)
	}
	checks := checksProblems(pod)
	reason := ReasonInjected
	switch {
	case len(d.SettingsProblems) > 0:
		reason = ReasonInvalidSidecar
	case len(checks) > 0:
		reason = ReasonInvalidChecks
	}
	if reason != ReasonInjected && h.cfg.Strict {
		h.metrics.observe(ResultDenied, reason)
		h.log.Info("denied pod with invalid annotations", "namespace", namespace, "pod", podName(pod),
			"reason", reason, "sidecar", d.SettingsProblems, "checks", checks)
		return admission.Denied("meshprobe: " + joinProblems(d.SettingsProblems, checks))
	}
	warns := append(d.Warnings, warnings(contract.AnnotationSidecar, d.SettingsProblems)...)
	return h.patch(pod, d.Pod, reason, append(warns, warnings(contract.AnnotationChecks, checks)...))
}

// requestPod returns the pod the HTTP front already decoded, or decodes it.
func requestPod(req admission.Request) (*corev1.Pod, error) {
	if pod, ok := req.Object.Object.(*corev1.Pod); ok {
		return pod, nil
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(req.Object.Raw, pod); err != nil {
		return nil, fmt.Errorf("request.object is not a valid v1 Pod: %w", err)
	}
	return pod, nil
}

func (h *Handler) patch(pod, out *corev1.Pod, reason Reason, warns []string) admission.Response {
	patch, err := json.Marshal(injectionPatch(pod, out))
	if err != nil {
		h.metrics.observe(ResultError, ReasonInternalError)
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("webhook: encoding the patch: %w", err))
	}
	resp := admission.Allowed("")
	resp.Patch, resp.PatchType = patch, ptr.To(admissionv1.PatchTypeJSONPatch)
	if len(warns) > 0 {
		resp.Warnings = warns
	}
	h.metrics.observe(ResultInjected, reason)
	h.log.Debug("injected pod", "namespace", out.Namespace, "pod", podName(out), "reason", reason)
	return resp
}

// skip answers a plain Allowed, with the warnings Inject gave: why a pod that
// asked for injection itself (meshprobe.io/inject: "true") is skipped, or why a
// pod that injection would have broken is.
func (h *Handler) skip(reason Reason, warns []string) admission.Response {
	h.metrics.observe(ResultSkipped, reason)
	resp := admission.Allowed(reason.Message())
	resp.Warnings = warns
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
