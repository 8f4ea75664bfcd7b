package tefake

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config configures a fake. Zero values take the defaults named per field.
type Config struct {
	// Token is the bearer token every request must carry (required).
	Token string
	// AccountGroups are the valid aid values; the first one is used when a request
	// has no aid. Default ["1"].
	AccountGroups []string
	// Agents and AlertRules default to DefaultAgents and DefaultAlertRules.
	Agents     []Agent
	AlertRules []AlertRule
	// Limit is the organisation's requests per Window; default 240, negative disables.
	Limit int
	// Window is the fixed rate-limit window; default one minute.
	Window time.Duration
	// Prefix is the path the API is served below; default "/v7".
	Prefix string
	// MaxBody caps request bodies; default 1 MiB.
	MaxBody int64
	// User is reported as createdBy/modifiedBy; default "fake@meshprobe.test".
	User string
}

// Server is the fake API. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	limiter *windowLimiter
	faults  *faultSet

	mu     sync.Mutex
	tests  map[string]map[string]*Test // aid -> id -> test
	nextID int
	log    []Request
}

// New returns a fake with cfg.
func New(cfg Config) *Server {
	if len(cfg.AccountGroups) == 0 {
		cfg.AccountGroups = []string{"1"}
	}
	if len(cfg.Agents) == 0 {
		cfg.Agents = DefaultAgents()
	}
	if len(cfg.AlertRules) == 0 {
		cfg.AlertRules = DefaultAlertRules()
	}
	if cfg.Limit == 0 {
		cfg.Limit = 240
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/v7"
	}
	cfg.Prefix = "/" + strings.Trim(cfg.Prefix, "/")
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.User == "" {
		cfg.User = "fake@meshprobe.test"
	}
	s := &Server{
		cfg: cfg, tests: map[string]map[string]*Test{}, nextID: 281470,
		limiter: newWindowLimiter(cfg.Limit, cfg.Window), faults: &faultSet{},
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	p := s.cfg.Prefix
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET "+p+"/tests/http-server", s.listTests)
	s.mux.HandleFunc("POST "+p+"/tests/http-server", s.createTest)
	s.mux.HandleFunc("GET "+p+"/tests/http-server/{id}", s.getTest)
	s.mux.HandleFunc("PUT "+p+"/tests/http-server/{id}", s.updateTest)
	s.mux.HandleFunc("DELETE "+p+"/tests/http-server/{id}", s.deleteTest)
	s.mux.HandleFunc("GET "+p+"/agents", s.listAgents)
	s.mux.HandleFunc("GET "+p+"/alerts/rules", s.listAlertRules)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, problem{Title: "Not Found", Detail: "no such resource: " + r.URL.Path})
	})
}

// ServeHTTP answers one API request: it logs it, applies the rate limit, any
// matching fault, the bearer check and the aid check, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	entry := Request{Time: time.Now(), Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, s.cfg.Prefix), Query: r.URL.RawQuery}
	defer func() {
		entry.Status = rec.status
		s.record(entry)
	}()
	allowed, remaining, reset := s.limiter.take(time.Now())
	setRateHeaders(rec.Header(), s.cfg.Limit, remaining, reset)
	if !allowed {
		entry.Limited = true
		writeProblem(rec, http.StatusTooManyRequests, problem{Title: "Too Many Requests", Detail: "organization rate limit exceeded"})
		return
	}
	f := s.faults.match(r.Method, entry.Path)
	entry.Fault = f != nil
	if f != nil && !f.AfterHandle {
		s.serveFault(rec, r, f, nil)
		return
	}
	if !s.authorized(rec, r) {
		return
	}
	if f != nil {
		s.serveFault(rec, r, f, s.mux)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Time) {
	if limit < 0 {
		return
	}
	h.Set("X-Organization-Rate-Limit-Limit", itoa(limit))
	h.Set("X-Organization-Rate-Limit-Remaining", itoa(remaining))
	h.Set("X-Organization-Rate-Limit-Reset", itoa(int(reset.Unix())))
}

// authorized checks the bearer token and the aid, answering 401 or 403 itself.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.Token)) != 1 {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_token", "error_description": "Invalid access token"})
		return false
	}
	if _, ok := s.accountGroup(r); !ok {
		writeProblem(w, http.StatusForbidden, problem{Title: "Forbidden", Detail: "no access to account group " + r.URL.Query().Get("aid")})
		return false
	}
	return true
}

// accountGroup resolves the request's aid to a known account group.
func (s *Server) accountGroup(r *http.Request) (string, bool) {
	aid := r.URL.Query().Get("aid")
	if aid == "" {
		return s.cfg.AccountGroups[0], true
	}
	for _, g := range s.cfg.AccountGroups {
		if g == aid {
			return aid, true
		}
	}
	return "", false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, p problem) {
	p.Status = status
	if p.Type == "" {
		p.Type = "https://developer.cisco.com/docs/thousandeyes/errors/#" + itoa(status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
