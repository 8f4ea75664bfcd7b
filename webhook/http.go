package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Defaults of HTTPConfig.
const (
	DefaultMaxRequestBytes = 3 << 20
	DefaultRequestTimeout  = 10 * time.Second
)

// HTTPConfig bound what the HTTP front accepts.
type HTTPConfig struct {
	// MaxRequestBytes caps the AdmissionReview body. Default 3 MiB: a pod CREATE
	// review carries one object, and the apiserver stores objects up to 1.5 MiB.
	MaxRequestBytes int64
	// Timeout bounds reading the request and writing the answer. Default 10s; the
	// apiserver itself gives up after the webhook's timeoutSeconds (5s).
	Timeout time.Duration
	// MaxInFlight caps the requests handled at once; a request beyond it is
	// answered 503 at once, without its body being read. Default
	// DefaultMaxInFlight.
	MaxInFlight int
}

// front reads and decodes AdmissionReviews and answers them through
// controller-runtime's admission.Webhook (panic recovery, response completion).
// It rejects malformed reviews with an HTTP 4xx, where admission.Webhook's own
// ServeHTTP would answer HTTP 200 with the error inside the review, and it decodes
// each review once, where that ServeHTTP would decode it again.
type front struct {
	webhook *admission.Webhook
	metrics *Metrics
	log     *slog.Logger
	cfg     HTTPConfig
	slots   slots
}

// NewHTTPHandler serves h over HTTP: it refuses requests beyond MaxInFlight with
// 503, checks method, content type, size and the AdmissionReview envelope,
// answering problems with 405, 415, 413 or 400 and a message naming the problem,
// then hands the review to controller-runtime's admission.Webhook around h.
func NewHTTPHandler(cfg HTTPConfig, h admission.Handler, m *Metrics, log *slog.Logger) http.Handler {
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	wh := &admission.Webhook{
		Handler:      h,
		RecoverPanic: ptr.To(true),
		// The default adds six request fields to a logger on every request, for
		// debug lines that are off; the handler logs what matters itself.
		LogConstructor: func(base logr.Logger, _ *admission.Request) logr.Logger { return base },
	}
	return &front{webhook: wh, metrics: m, log: log, cfg: cfg, slots: make(slots, cfg.MaxInFlight)}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.slots.tryAcquire() {
		f.overloaded(w)
		return
	}
	defer f.slots.release()
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(f.cfg.Timeout)
	_ = rc.SetReadDeadline(deadline) // not every ResponseWriter supports deadlines
	_ = rc.SetWriteDeadline(deadline)

	body, code, err := f.readBody(w, r)
	if err != nil {
		f.reject(w, "", code, err)
		return
	}
	review, err := decodeReview(body)
	if err != nil {
		var uid types.UID
		if review != nil {
			uid = review.Request.UID
		}
		f.reject(w, uid, http.StatusBadRequest, err)
		return
	}
	resp := f.webhook.Handle(r.Context(), review.Request.admissionRequest())
	writeReview(w, http.StatusOK, review.APIVersion, &resp.AdmissionResponse)
}

// readBody returns the body of a POSTed JSON request, or the HTTP status and
// error to answer with.
func (f *front) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed: POST an AdmissionReview", r.Method)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, http.StatusUnsupportedMediaType,
			fmt.Errorf("content type %q not supported: want application/json", r.Header.Get("Content-Type"))
	}
	if r.ContentLength > f.cfg.MaxRequestBytes {
		return nil, http.StatusRequestEntityTooLarge, f.tooLarge()
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, f.cfg.MaxRequestBytes), r.ContentLength)
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, http.StatusRequestEntityTooLarge, f.tooLarge()
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("reading the request body: %w", err)
	case len(bytes.TrimSpace(body)) == 0:
		return nil, http.StatusBadRequest, errors.New("request body is empty: POST an AdmissionReview")
	}
	return body, 0, nil
}

// readAll is io.ReadAll with the buffer sized from the Content-Length up front,
// instead of grown (and copied) several times for a review of a few kB.
func readAll(r io.Reader, contentLength int64) ([]byte, error) {
	var buf bytes.Buffer
	if contentLength > 0 {
		buf.Grow(int(contentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

func (f *front) tooLarge() error {
	return fmt.Errorf("request body exceeds the %d-byte limit", f.cfg.MaxRequestBytes)
}

// reject answers with an HTTP error status and an AdmissionReview whose response
// carries the same code and message, so both plain HTTP clients and the apiserver
// see what was wrong.
func (f *front) reject(w http.ResponseWriter, uid types.UID, code int, err error) {
	f.metrics.observe(ResultError, ReasonBadRequest)
	f.log.Warn("rejected malformed admission request", "code", code, "err", err)
	writeReview(w, code, admissionv1.SchemeGroupVersion.String(), &admissionv1.AdmissionResponse{
		UID:     uid,
		Allowed: false,
		Result:  &metav1.Status{Code: int32(code), Message: "meshprobe: bad AdmissionReview: " + err.Error()},
	})
}

// writeReview answers with an AdmissionReview of apiVersion (the one the request
// used) carrying resp.
func writeReview(w http.ResponseWriter, code int, apiVersion string, resp *admissionv1.AdmissionResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "AdmissionReview"},
		Response: resp,
	})
}
