package meshview

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
)

// DefaultAddr is the view server's listen address (container port "view").
const DefaultAddr = ":8083"

// Config configures the view server. DefaultConfig documents each default.
type Config struct {
	// Replica names this control-plane replica in answers (its member name).
	Replica string
	// MaxInFlight bounds the API requests handled at once; more get 503 at
	// once. Default 32.
	MaxInFlight int
	// ReviewRate and ReviewBurst bound the token reviews sent to the API
	// server per second (each is a TokenReview and, when the token
	// authenticates, a SubjectAccessReview); requests the cache does not
	// answer beyond it get 429. Default 20 per second, bursts of 40.
	ReviewRate  float64
	ReviewBurst int
	// ReviewTimeout bounds one review. Default 5s.
	ReviewTimeout time.Duration
	// CacheTTL is how long a token's decision is reused, allowed or not: a
	// revoked binding or token stops working within it. Default 10s.
	CacheTTL time.Duration
	// CacheSize bounds the cached decisions (least recently used go first).
	// Default 4096.
	CacheSize int
	// UI, when set, is served at every path outside /api/ without
	// authentication: the page is static and holds no data.
	UI http.Handler
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{MaxInFlight: 32, ReviewRate: 20, ReviewBurst: 40, ReviewTimeout: 5 * time.Second,
		CacheTTL: 10 * time.Second, CacheSize: 4096}
}

func (c Config) validate() error {
	switch {
	case c.MaxInFlight < 1 || c.ReviewBurst < 1 || c.CacheSize < 1:
		return errors.New("meshview: MaxInFlight, ReviewBurst and CacheSize must be positive")
	case c.ReviewRate <= 0 || c.ReviewTimeout <= 0 || c.CacheTTL <= 0:
		return errors.New("meshview: ReviewRate, ReviewTimeout and CacheTTL must be positive")
	}
	return nil
}

// Server is the read API's (and the UI's) http.Handler over a Store, served
// on DefaultAddr by the control plane. It is safe for concurrent use.
type Server struct {
	cfg      Config
	api      api
	auth     *reviewer
	inflight chan struct{}
	metrics  *metrics
	log      *slog.Logger
}

// NewServer checks cfg and builds the server; kube answers the token and
// access reviews. Its metrics are registered with reg.
func NewServer(cfg Config, store *Store, kube kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if store == nil || kube == nil {
		return nil, errors.New("meshview: nil store or Kubernetes client")
	}
	m, err := newMetrics(reg, store)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, api: api{store: store, replica: cfg.Replica}, auth: newReviewer(cfg, kube, m),
		inflight: make(chan struct{}, cfg.MaxInFlight), metrics: m, log: log}, nil
}

// ServeHTTP answers /api/ paths after authorization, and the rest from the UI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		if s.cfg.UI != nil {
			s.cfg.UI.ServeHTTP(w, r)
			return
		}
		writeError(w, r, http.StatusNotFound, "no web UI here; the API is under /api/v1/")
		return
	}
	start := time.Now()
	h, endpoint := s.api.endpoint(r.URL.Path)
	sw := &statusWriter{ResponseWriter: w}
	s.serveAPI(sw, r, h)
	s.metrics.count(endpoint, sw.status, time.Since(start).Seconds())
}

// serveAPI bounds, checks and authorizes an API request, then runs h.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	select {
	case s.inflight <- struct{}{}:
		defer func() { <-s.inflight }()
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusServiceUnavailable, fmt.Sprintf("more than %d requests in flight; retry shortly", s.cfg.MaxInFlight))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, r, http.StatusMethodNotAllowed, "the view API is read-only: use GET or HEAD")
		return
	}
	if !s.authorize(w, r) {
		return
	}
	if h == nil {
		writeError(w, r, http.StatusNotFound, "no such endpoint "+strconv.Quote(r.URL.Path)+"; the endpoints are "+
			strings.Join([]string{PathMembers, PathChecks, PathRTT, PathRTTNodes}, ", "))
		return
	}
	h(w, r)
}

// authorize answers 401, 403, 429 or 503 unless the request's token may read
// the view.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	token, why := bearerToken(r)
	if token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="meshprobe-view"`)
		writeError(w, r, http.StatusUnauthorized, why)
		return false
	}
	d, err := s.auth.decide(r.Context(), token)
	switch {
	case errors.Is(err, errReviewRate):
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusTooManyRequests, "too many token reviews at once; retry shortly (a token is reviewed once per "+
			s.cfg.CacheTTL.String()+")")
		return false
	case err != nil:
		s.log.Warn("meshview: cannot review a token", "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, r, http.StatusServiceUnavailable, "cannot verify the token with the Kubernetes API server now; retry shortly")
		return false
	case d.status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="meshprobe-view", error="invalid_token"`)
		writeError(w, r, d.status, d.message)
		return false
	case d.status != 0:
		writeError(w, r, d.status, d.message)
		return false
	}
	return true
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
