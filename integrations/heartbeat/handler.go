package heartbeat

import (
	"encoding/json"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// ServeHTTP routes /healthz, the heartbeat API under APIPrefix, and 404 for the rest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/healthz":
		s.serveOwnHealth(w, r)
	case strings.HasPrefix(r.URL.Path, APIPrefix):
		t, perr := ParsePath(r.URL.Path)
		kind := kindUnknown
		if perr == nil {
			kind = t.Kind
		}
		s.metrics.inc(kind, s.serveHeartbeat(w, r, t, perr))
	default:
		writeError(w, r, http.StatusNotFound, "no such endpoint")
	}
}

// serveHeartbeat answers one heartbeat request and returns its status code. The
// order matters: the rate limit counts every request, even unauthenticated ones,
// so that tokens cannot be guessed quickly; a workload's existence is disclosed
// only after authentication.
func (s *Server) serveHeartbeat(w http.ResponseWriter, r *http.Request, t Target, perr error) int {
	if !s.allow(w, r) {
		return http.StatusTooManyRequests
	}
	if !allowedMethod(w, r) {
		return http.StatusMethodNotAllowed
	}
	if perr != nil {
		writeError(w, r, http.StatusNotFound, perr.Error())
		return http.StatusNotFound
	}
	switch s.auth.check(r) {
	case authMissing:
		w.Header().Add("WWW-Authenticate", `Basic realm="meshprobe heartbeat"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="meshprobe heartbeat"`)
		writeError(w, r, http.StatusUnauthorized, "authentication required: send ?token= or an Authorization Basic or Bearer header")
		return http.StatusUnauthorized
	case authWrong:
		writeError(w, r, http.StatusForbidden, "wrong token")
		return http.StatusForbidden
	}
	v := s.cache.Verdict(t, s.mesh)
	code := statusCode(v.Status)
	writeJSON(w, r, code, v)
	return code
}

// serveOwnHealth answers /healthz: 200 once the caches are filled.
func (s *Server) serveOwnHealth(w http.ResponseWriter, r *http.Request) {
	if !allowedMethod(w, r) {
		return
	}
	if !s.cache.HasSynced() {
		writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"status": "caches not synced"})
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// allow applies the per-client-IP rate limit and answers 429 when it is spent.
func (s *Server) allow(w http.ResponseWriter, r *http.Request) bool {
	if s.limiter == nil {
		return true
	}
	d := s.limiter.allow(clientIP(r))
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.FormatInt(s.limiter.rate.Limit, 10))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(d.remaining, 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(d.reset.Unix(), 10))
	if d.allowed {
		return true
	}
	wait := math.Ceil(d.reset.Sub(s.cfg.Clock.Now()).Seconds())
	h.Set("Retry-After", strconv.Itoa(max(1, int(wait))))
	writeError(w, r, http.StatusTooManyRequests, "rate limit exceeded")
	return false
}

func allowedMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writeError(w, r, http.StatusMethodNotAllowed, "method "+truncate(r.Method)+" not allowed: use GET or HEAD")
	return false
}

// clientIP is the TCP peer's address; forwarding headers are not trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func statusCode(s Status) int {
	switch s {
	case StatusHealthy:
		return http.StatusOK
	case StatusDegraded:
		return http.StatusServiceUnavailable
	default:
		return http.StatusNotFound
	}
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	writeJSON(w, r, code, errorBody{Error: msg})
}

// writeJSON writes v with code; a HEAD answer gets the same status and headers
// but no body, and costs no encoding.
func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		w.WriteHeader(code)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		code, body = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	body = append(body, '\n')
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
