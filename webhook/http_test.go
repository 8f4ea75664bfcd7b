package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
)

func newTestFront(t testing.TB, opts HTTPConfig) (http.Handler, *Handler) {
	t.Helper()
	h, _ := newTestHandler(t, testConfig(), false)
	return NewHTTPHandler(opts, h, h.metrics, discardLogger()), h
}

// post sends body to the front and decodes the AdmissionReview it answers with.
func post(t testing.TB, srv http.Handler, method, contentType string, body []byte) (int, admissionv1.AdmissionReview) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, "/mutate-v1-pod", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var review admissionv1.AdmissionReview
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &review), "answer is not an AdmissionReview: %q", rec.Body.String())
	return rec.Code, review
}

// postRaw sends a review body to the front and returns the status and body.
func postRaw(t testing.TB, srv http.Handler, body []byte) (int, []byte) {
	req := httptest.NewRequest(http.MethodPost, "/mutate-v1-pod", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func TestHTTPFrontRejectsBadReviews(t *testing.T) {
	pod, raw := loadPod(t, "bare")
	valid := string(reviewBody(t, pod, raw))
	tests := []struct {
		name        string
		method      string
		contentType string
		body        string
		code        int
		want        string
	}{
		{"GET", http.MethodGet, "application/json", valid, 405, "method GET not allowed"},
		{"no content type", http.MethodPost, "", valid, 415, `content type "" not supported`},
		{"text/plain", http.MethodPost, "text/plain", valid, 415, `content type "text/plain" not supported`},
		{"empty body", http.MethodPost, "application/json", "", 400, "request body is empty"},
		{"whitespace body", http.MethodPost, "application/json", " \n ", 400, "request body is empty"},
		{"oversized", http.MethodPost, "application/json", `{"x":"` + strings.Repeat("a", 2048) + `"}`, 413, "exceeds the 1024-byte limit"},
		{"not JSON", http.MethodPost, "application/json", "<xml/>", 400, "body is not valid JSON"},
		{"truncated JSON", http.MethodPost, "application/json", valid[:len(valid)/2], 400, "body is not valid JSON"},
		{"JSON array", http.MethodPost, "application/json", "[1,2]", 400, "has the wrong type"},
		{"wrong kind", http.MethodPost, "application/json", `{"apiVersion":"v1","kind":"Pod"}`, 400, `body kind is "Pod", want AdmissionReview`},
		{"wrong apiVersion", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{}}`, 400, `apiVersion is "admission.k8s.io/v2"`},
		{"no request", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, 400, "AdmissionReview has no request"},
		{"no uid", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}`, 400, "request has no uid"},
		{"uid wrong type", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":5}}`, 400, `field "request.uid" has the wrong type`},
		{"object wrong shape", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE","kind":{"version":"v1","kind":"Pod"},"object":{"spec":{"containers":"x"}}}}`, 400, `field "request.object.spec.containers" has the wrong type: string`},
		{"not a pod", http.MethodPost, "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE","kind":{"group":"apps","version":"v1","kind":"Deployment"}}}`, 400, "admits core/v1 Pods only; request.kind is apps/v1, Kind=Deployment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := HTTPConfig{}
			if tt.name == "oversized" {
				opts.MaxRequestBytes = 1024
			}
			srv, h := newTestFront(t, opts)
			code, review := post(t, srv, tt.method, tt.contentType, []byte(tt.body))
			assert.Equal(t, tt.code, code)
			require.NotNil(t, review.Response)
			assert.False(t, review.Response.Allowed)
			assert.Equal(t, int32(tt.code), review.Response.Result.Code)
			assert.Contains(t, review.Response.Result.Message, tt.want)
			assert.InDelta(t, 1, count(h.metrics, ResultError, ReasonBadRequest), 0)
		})
	}
}

func TestHTTPFrontServesValidReview(t *testing.T) {
	srv, h := newTestFront(t, HTTPConfig{})
	pod, raw := loadPod(t, "deployment")
	for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		code, review := post(t, srv, http.MethodPost, ct, reviewBody(t, pod, raw))
		require.Equal(t, http.StatusOK, code)
		require.NotNil(t, review.Response)
		assert.Equal(t, "0d1c2b3a-1111-2222-3333-444455556666", string(review.Response.UID))
		assert.True(t, review.Response.Allowed)
		require.NotNil(t, review.Response.PatchType)
		assert.Equal(t, admissionv1.PatchTypeJSONPatch, *review.Response.PatchType)
		assert.Contains(t, string(review.Response.Patch), `"/spec/initContainers/1"`)
	}
	assert.InDelta(t, 2, count(h.metrics, ResultInjected, ReasonInjected), 0)
}

// TestHTTPFrontPatchMatchesHandler checks that the pod the front decodes along
// with the review gives the same answer as the handler decoding the raw object.
func TestHTTPFrontPatchMatchesHandler(t *testing.T) {
	srv, h := newTestFront(t, HTTPConfig{})
	for _, name := range []string{"deployment", "bare", "checks-invalid", "hostnetwork"} {
		pod, raw := loadPod(t, name)
		code, review := post(t, srv, http.MethodPost, "application/json", reviewBody(t, pod, raw))
		require.Equal(t, http.StatusOK, code)
		direct := h.Handle(t.Context(), createRequest(pod, raw))
		assert.Equal(t, direct.Allowed, review.Response.Allowed, name)
		assert.Equal(t, string(direct.Patch), string(review.Response.Patch), name)
		assert.Equal(t, direct.Warnings, review.Response.Warnings, name)
	}
}

func TestHTTPFrontV1beta1(t *testing.T) {
	srv, _ := newTestFront(t, HTTPConfig{})
	pod, raw := loadPod(t, "bare")
	body := bytes.Replace(reviewBody(t, pod, raw), []byte(`"admission.k8s.io/v1"`), []byte(`"admission.k8s.io/v1beta1"`), 1)
	code, review := post(t, srv, http.MethodPost, "application/json", body)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "admission.k8s.io/v1beta1", review.APIVersion, "answer in the version asked")
	assert.True(t, review.Response.Allowed)
	assert.NotEmpty(t, review.Response.Patch)
}

// FuzzHTTPHandler feeds arbitrary bodies to the HTTP front and the handler
// behind it: every answer is a 200 or a 4xx with an AdmissionReview, never a panic
// or a 5xx, and a 200 answers the request's own UID.
func FuzzHTTPHandler(f *testing.F) {
	pod, raw := loadPod(f, "deployment")
	f.Add(reviewBody(f, pod, raw))
	pod, raw = loadPod(f, "hostnetwork")
	f.Add(reviewBody(f, pod, raw))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","kind":{"version":"v1","kind":"Pod"},"object":{"spec":{"containers":[{"name":"a"}]}}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"DELETE","kind":{"version":"v1","kind":"Pod"}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","kind":{"version":"v1","kind":"Pod"},"object":null}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	srv, _ := newTestFront(f, HTTPConfig{MaxRequestBytes: 64 << 10})
	f.Fuzz(func(t *testing.T, body []byte) {
		code, answer := postRaw(t, srv, body)
		if code != http.StatusOK && (code < 400 || code > 499) {
			t.Fatalf("status %d for body %q", code, body)
		}
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(answer, &review); err != nil || review.Response == nil {
			t.Fatalf("answer is not an AdmissionReview (%v): %q", err, answer)
		}
		if code == http.StatusOK {
			var in admissionv1.AdmissionReview
			if err := json.Unmarshal(body, &in); err == nil && in.Request != nil && in.Request.UID != review.Response.UID {
				t.Fatalf("answer uid %q, request uid %q", review.Response.UID, in.Request.UID)
			}
		}
	})
}
