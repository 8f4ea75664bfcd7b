package webhook

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestHandleNonCreateIsPlainAllowed(t *testing.T) {
	for _, op := range []admissionv1.Operation{admissionv1.Delete, admissionv1.Update, admissionv1.Connect} {
		t.Run(string(op), func(t *testing.T) {
			h, _ := newTestHandler(t, testConfig(), false)
			pod, raw := loadPod(t, "bare")
			req := createRequest(pod, raw)
			req.Operation = op
			if op == admissionv1.Delete {
				req.Object, req.OldObject = runtime.RawExtension{}, runtime.RawExtension{Raw: raw}
			}
			resp := h.Handle(t.Context(), req)
			assert.True(t, resp.Allowed)
			assert.Empty(t, resp.Patch)
			assert.Empty(t, resp.Warnings)
			assert.InDelta(t, 1, count(h.metrics, ResultSkipped, ReasonNotCreate), 0)
		})
	}
}

func TestHandleBadObject(t *testing.T) {
	tests := []struct {
		name string
		req  func(*admissionv1.AdmissionRequest)
		want string
	}{
		{"object not JSON", func(r *admissionv1.AdmissionRequest) { r.Object.Raw = []byte("{not json") }, "request.object is not a valid v1 Pod"},
		{"object empty", func(r *admissionv1.AdmissionRequest) { r.Object.Raw = nil }, "request.object is not a valid v1 Pod"},
		{"object wrong shape", func(r *admissionv1.AdmissionRequest) { r.Object.Raw = []byte(`{"spec":{"containers":"x"}}`) }, "request.object is not a valid v1 Pod"},
		{"not a pod", func(r *admissionv1.AdmissionRequest) {
			r.Kind = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
		}, "request.kind is apps/v1, Kind=Deployment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newTestHandler(t, testConfig(), false)
			pod, raw := loadPod(t, "bare")
			req := createRequest(pod, raw)
			tt.req(&req.AdmissionRequest)
			resp := h.Handle(t.Context(), req)
			assert.False(t, resp.Allowed)
			require.NotNil(t, resp.Result)
			assert.Equal(t, int32(http.StatusBadRequest), resp.Result.Code)
			assert.Contains(t, resp.Result.Message, tt.want)
			assert.InDelta(t, 1, count(h.metrics, ResultError, ReasonBadRequest), 0)
		})
	}
}

func TestHandleNamespaceFromRequest(t *testing.T) {
	// The apiserver may send a new pod without metadata.namespace; the request's
	// namespace decides, and the patch does not add one.
	h, _ := newTestHandler(t, testConfig(), false)
	pod, raw := loadPod(t, "bare")
	pod.Namespace = ""
	req := createRequest(pod, raw)
	req.Namespace = "kube-system"
	req.Object.Raw = []byte(strings.Replace(string(raw), `"namespace":"default",`, "", 1))
	resp := h.Handle(t.Context(), req)
	assert.True(t, resp.Allowed)
	assert.Empty(t, resp.Patch)
	assert.InDelta(t, 1, count(h.metrics, ResultSkipped, ReasonExcludedNamespace), 0)

	req.Namespace = "shop"
	resp = h.Handle(t.Context(), req)
	ops := patchOf(t, resp)
	require.NotEmpty(t, ops)
	for _, p := range ops {
		assert.NotEqual(t, "/metadata/namespace", p.Path)
	}
}

func TestMetricsPreinitialised(t *testing.T) {
	_, reg := newTestHandler(t, testConfig(), false)
	n, err := testutil.GatherAndCount(reg, "meshprobe_webhook_admissions_total")
	require.NoError(t, err)
	assert.Equal(t, len(outcomes), n)
	for _, r := range Reasons() {
		found := false
		for _, o := range outcomes {
			found = found || o.reason == r
		}
		assert.True(t, found, "reason %q has no pre-initialised series", r)
	}
}

func TestHandlerCountsInjections(t *testing.T) {
	h, _ := newTestHandler(t, testConfig(), false)
	for _, name := range []string{"deployment", "statefulset", "hostnetwork", "opted-out"} {
		pod, raw := loadPod(t, name)
		h.Handle(t.Context(), createRequest(pod, raw))
	}
	assert.InDelta(t, 2, count(h.metrics, ResultInjected, ReasonInjected), 0)
	assert.InDelta(t, 1, count(h.metrics, ResultSkipped, ReasonHostNetwork), 0)
	assert.InDelta(t, 1, count(h.metrics, ResultSkipped, ReasonOptedOut), 0)
}

func TestNewHandlerRejectsInvalidConfig(t *testing.T) {
	cfg := testConfig()
	cfg.Image = ""
	m, err := NewMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	_, err = NewHandler(cfg, m, discardLogger())
	require.ErrorContains(t, err, "sidecar image is empty")
}

func TestHandleInvalidChecks(t *testing.T) {
	pod, raw := loadPod(t, "checks-invalid")

	h, _ := newTestHandler(t, testConfig(), false)
	resp := h.Handle(t.Context(), createRequest(pod, raw))
	assert.True(t, resp.Allowed, "without --strict the pod is injected")
	assert.NotEmpty(t, resp.Patch)
	require.Len(t, resp.Warnings, 2)
	assert.Contains(t, resp.Warnings[0], `field "expectStatus"`)
	assert.Contains(t, resp.Warnings[1], `field "interval"`)
	assert.InDelta(t, 1, count(h.metrics, ResultInjected, ReasonInvalidChecks), 0)
	assert.InDelta(t, 0, count(h.metrics, ResultInjected, ReasonInjected), 0)

	strict, _ := newTestHandler(t, testConfig(), true)
	resp = strict.Handle(t.Context(), createRequest(pod, raw))
	assert.False(t, resp.Allowed, "--strict denies")
	assert.Empty(t, resp.Patch)
	require.NotNil(t, resp.Result)
	assert.Equal(t, int32(http.StatusForbidden), resp.Result.Code)
	assert.Contains(t, resp.Result.Message, `check "api": field "expectStatus"`)
	assert.Contains(t, resp.Result.Message, `check "db": field "interval"`)
	assert.InDelta(t, 1, count(strict.metrics, ResultDenied, ReasonInvalidChecks), 0)
}

func TestStrictSkipsChecksOfUninjectedPods(t *testing.T) {
	// A pod meshprobe does not inject is none of its business, whatever its annotation.
	pod, raw := loadPod(t, "checks-invalid")
	pod.Labels["meshprobe.io/inject"] = "false"
	raw = []byte(strings.Replace(string(raw), `"meshprobe.io/inject":"true"`, `"meshprobe.io/inject":"false"`, 1))
	h, _ := newTestHandler(t, testConfig(), true)
	resp := h.Handle(t.Context(), createRequest(pod, raw))
	assert.True(t, resp.Allowed)
	assert.InDelta(t, 1, count(h.metrics, ResultSkipped, ReasonOptedOut), 0)
}

func TestSanitizeWarning(t *testing.T) {
	assert.Equal(t, "a b c", sanitizeWarning("a\nb\tc"))
	long := sanitizeWarning(strings.Repeat("é", 500))
	assert.Len(t, []rune(long), maxWarningRunes)
	assert.True(t, strings.HasSuffix(long, "..."))
}
