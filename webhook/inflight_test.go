package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
)

// heldBody is a request body that says when the handler first reads it, then
// blocks until released.
type heldBody struct {
	read, release chan struct{}
	data          io.Reader
	once          sync.Once
}

func newHeldBody(data []byte) *heldBody {
	return &heldBody{read: make(chan struct{}), release: make(chan struct{}), data: bytes.NewReader(data)}
}

func (b *heldBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.read); <-b.release })
	return b.data.Read(p)
}

// unreadBody fails the test when anything reads it.
type unreadBody struct{ t *testing.T }

func (b unreadBody) Read([]byte) (int, error) {
	b.t.Error("the body of a refused request was read")
	return 0, io.EOF
}

// serve runs one request through the front and decodes its answer.
func serve(t *testing.T, f http.Handler, body io.Reader) (int, admissionv1.AdmissionReview) {
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/mutate-v1-pod", body)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil {
		t.Errorf("answer is not an AdmissionReview: %q", rec.Body.String())
	}
	return rec.Code, review
}

// TestHTTPFrontCapsInFlight: with MaxInFlight requests being handled, another is
// answered 503 at once, without its body being read, and counted as overloaded;
// once a slot frees, requests are served again.
func TestHTTPFrontCapsInFlight(t *testing.T) {
	pod, raw := loadPod(t, "bare")
	body := reviewBody(t, pod, raw)
	h, _ := newTestHandler(t, testConfig(), false)
	f := NewHTTPHandler(HTTPConfig{MaxInFlight: 2}, h, h.metrics, discardLogger())
	overloaded := func() float64 {
		return testutil.ToFloat64(h.metrics.admissions.WithLabelValues(string(ResultError), string(ReasonOverloaded)))
	}

	// Two requests hold both slots: the handler is reading their bodies.
	var held []*heldBody
	done := make(chan int, 2)
	for range 2 {
		b := newHeldBody(body)
		held = append(held, b)
		go func() {
			code, _ := serve(t, f, b)
			done <- code
		}()
		<-b.read
	}

	code, review := serve(t, f, unreadBody{t})
	assert.Equal(t, http.StatusServiceUnavailable, code)
	require.NotNil(t, review.Response)
	assert.False(t, review.Response.Allowed)
	assert.Contains(t, review.Response.Result.Message, "as many admission requests as it may at once")
	assert.Equal(t, 1.0, overloaded())

	close(held[0].release)
	assert.Equal(t, http.StatusOK, <-done, "a held request completes")
	code, review = serve(t, f, bytes.NewReader(body))
	assert.Equal(t, http.StatusOK, code, "the freed slot serves the next request")
	assert.True(t, review.Response.Allowed)
	close(held[1].release)
	assert.Equal(t, http.StatusOK, <-done)
	assert.Equal(t, 1.0, overloaded(), "only the refused request counts")
}

// BenchmarkHTTPFrontLargestReview measures the memory one review of the largest
// accepted size costs (B/op), the figure behind DefaultMaxInFlight.
func BenchmarkHTTPFrontLargestReview(b *testing.B) {
	pod, _ := loadPod(b, "bare")
	pod = pod.DeepCopy()
	pad := DefaultMaxRequestBytes - 64<<10
	pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, corev1.EnvVar{Name: "PAD", Value: strings.Repeat("x", pad)})
	raw, err := json.Marshal(pod)
	require.NoError(b, err)
	body := reviewBody(b, pod, raw)
	require.Less(b, len(body), DefaultMaxRequestBytes)
	srv, _ := newTestFront(b, HTTPConfig{})
	b.ReportAllocs()
	for b.Loop() {
		if code, _ := postRaw(b, srv, body); code != http.StatusOK {
			b.Fatalf("status %d", code)
		}
	}
	b.ReportMetric(float64(len(body))/(1<<20), "MiB/review")
}
