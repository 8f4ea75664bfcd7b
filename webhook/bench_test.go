package webhook

import (
	"testing"
)

// BenchmarkMutate measures the pure mutation of a typical Deployment pod: three
// app containers, one init container, two volumes (target <= 100µs/op).
func BenchmarkMutate(b *testing.B) {
	pod, _ := loadPod(b, "deployment")
	cfg := testConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, reason := Mutate(pod, pod.Namespace, &cfg); reason != ReasonInjected {
			b.Fatalf("reason %s", reason)
		}
	}
}

// BenchmarkHandle measures the whole admission handler for the same pod: decode
// the object, mutate, check the checks annotation, build and encode the patch.
func BenchmarkHandle(b *testing.B) {
	pod, raw := loadPod(b, "deployment")
	h, _ := newTestHandler(b, testConfig(), false)
	req := createRequest(pod, raw)
	b.ReportAllocs()
	for b.Loop() {
		if resp := h.Handle(b.Context(), req); len(resp.Patch) == 0 {
			b.Fatal("no patch")
		}
	}
}

// BenchmarkHTTPFront measures the HTTP front and controller-runtime's webhook
// around the handler, without TLS or a network: body checks, the envelope, the
// AdmissionReview decode, the handler and the response encoding.
func BenchmarkHTTPFront(b *testing.B) {
	pod, raw := loadPod(b, "deployment")
	body := reviewBody(b, pod, raw)
	srv, _ := newTestFront(b, HTTPConfig{})
	b.ReportAllocs()
	for b.Loop() {
		code, _ := postRaw(b, srv, body)
		if code != 200 {
			b.Fatalf("status %d", code)
		}
	}
}
