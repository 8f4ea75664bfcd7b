package webhook

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"
)

// testConfig is the Config the golden files were written with.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Image = "meshprobe-sidecar:test"
	cfg.Version = "v0.0.0-test"
	return cfg
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestHandler returns a Handler and the registry its metrics live in.
func newTestHandler(t testing.TB, cfg Config, strict bool) (*Handler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	cfg.Strict = strict
	h, err := NewHandler(cfg, m, discardLogger())
	require.NoError(t, err)
	return h, reg
}

// loadPod reads testdata/pods/<name>.yaml and returns the pod and its JSON as the
// apiserver would send it: serialized from the typed object.
func loadPod(t testing.TB, name string) (*corev1.Pod, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "pods", name+".yaml"))
	require.NoError(t, err)
	pod := &corev1.Pod{}
	require.NoError(t, yaml.UnmarshalStrict(data, pod))
	raw, err := json.Marshal(pod)
	require.NoError(t, err)
	return pod, raw
}

// createRequest wraps a pod's JSON in a CREATE AdmissionRequest, as the apiserver does.
func createRequest(pod *corev1.Pod, raw []byte) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       types.UID("0d1c2b3a-1111-2222-3333-444455556666"),
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: pod.Namespace,
		Name:      pod.Name,
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

// reviewBody is createRequest wrapped in a v1 AdmissionReview, as JSON.
func reviewBody(t testing.TB, pod *corev1.Pod, raw []byte) []byte {
	t.Helper()
	req := createRequest(pod, raw)
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  &req.AdmissionRequest,
	})
	require.NoError(t, err)
	return body
}

// count returns how often m counted (result, reason).
func count(m *Metrics, result Result, reason Reason) float64 {
	return testutil.ToFloat64(m.admissions.WithLabelValues(string(result), string(reason)))
}

// patchOf decodes the JSON patch of resp; nil when it has none.
func patchOf(t testing.TB, resp admission.Response) []jsonpatch.JsonPatchOperation {
	t.Helper()
	if len(resp.Patch) == 0 {
		return nil
	}
	require.NotNil(t, resp.PatchType)
	require.Equal(t, admissionv1.PatchTypeJSONPatch, *resp.PatchType)
	var ops []jsonpatch.JsonPatchOperation
	require.NoError(t, json.Unmarshal(resp.Patch, &ops))
	return ops
}
