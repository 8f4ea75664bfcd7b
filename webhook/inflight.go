package webhook

import (
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultMaxInFlight is HTTPConfig.MaxInFlight's default. A review of the
// largest size (2.9 MiB) allocates 6.2 MB while it is handled
// (BenchmarkHTTPFrontLargestReview), so 32 at once stay near 200 MB, inside the
// control plane's 512 Mi limit with its caches; ordinary reviews are a few kB
// and take about 100 µs, so 32 at once is far above what rollouts need.
const DefaultMaxInFlight = 32

// slots bounds the admission requests handled at once. Its methods are safe for
// concurrent use.
type slots chan struct{}

// tryAcquire takes a slot without waiting; false when every slot is taken.
func (s slots) tryAcquire() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

// release returns a slot taken by tryAcquire.
func (s slots) release() { <-s }

// overloaded answers a request that found every slot taken, without reading its
// body: HTTP 503 without Retry-After, which the apiserver treats as a failed call
// at once (no retry, no waiting for timeoutSeconds) and so applies the webhook's
// failurePolicy. meshprobe ships Ignore: the pod is created without the sidecar.
func (f *front) overloaded(w http.ResponseWriter) {
	f.metrics.observe(ResultError, ReasonOverloaded)
	f.log.Warn("refused admission request: too many in flight", "maxInFlight", cap(f.slots))
	writeReview(w, http.StatusServiceUnavailable, admissionv1.SchemeGroupVersion.String(), &admissionv1.AdmissionResponse{
		Allowed: false,
		Result: &metav1.Status{Code: http.StatusServiceUnavailable,
			Message: fmt.Sprintf("meshprobe: %s (%d in flight)", ReasonOverloaded.Message(), cap(f.slots))},
	})
}
