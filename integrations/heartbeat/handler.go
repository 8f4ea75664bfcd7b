package heartbeat

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ServeHTTP routes /healthz and /health, the heartbeat API under APIPrefix and
// APIPrefixAlias, and 404 for the rest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case isOwnHealthPath(r.URL.Path):
		s.serveOwnHealth(w, r)
	case isAPIPath(r.URL.Path):
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

// serveHeartbeat answers one heartbeat request and returns its status code.
// A request that authenticates counts in the client's RateLimit bucket; any
// other (a bad method or path, no token, a wrong one) in its small
// FailedAuthRateLimit bucket, and while that one is spent every request of the
// client gets 429. So tokens cannot be guessed quickly, guessing does not spend
// a monitor's budget, and a workload's existence is disclosed only after
// authentication.
func (s *Server) serveHeartbeat(w http.ResponseWriter, r *http.Request, t Target, perr error) int {
	client := s.clients.clientAddr(r)
	if !s.failuresLeft(w, r, client) {
		return http.StatusTooManyRequests
	}
	if ref, refused := s.refusal(r, perr); refused {
		if !s.countFailure(w, r, client) {
			return http.StatusTooManyRequests
		}
		ref.write(w, r)
		return ref.code
	}
	if !s.allow(w, r, client) {
		return http.StatusTooManyRequests
	}
	v := s.cache.Verdict(t, s.mesh)
	code := statusCode(v.Status)
	writeJSON(w, r, code, v)
	return code
}

// refusal is the answer to a request refused before its verdict.
type refusal struct {
	code int
	msg  string
}

// refusal checks method, path and credentials, in that order.
func (s *Server) refusal(r *http.Request, perr error) (refusal, bool) {
	switch {
	case !methodAllowed(r):
		return refusal{http.StatusMethodNotAllowed, "method " + truncate(r.Method) + " not allowed: use GET or HEAD"}, true
	case perr != nil:
		return refusal{http.StatusNotFound, perr.Error()}, true
	}
	switch s.auth.check(r) {
	case authMissing:
		return refusal{http.StatusUnauthorized, "authentication required: send ?token= or an Authorization Basic or Bearer header"}, true
	case authWrong:
		return refusal{http.StatusForbidden, "wrong token"}, true
	}
	return refusal{}, false
}

func (ref refusal) write(w http.ResponseWriter, r *http.Request) {
	switch ref.code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", "GET, HEAD")
	case http.StatusUnauthorized:
		w.Header().Add("WWW-Authenticate", `Basic realm="meshprobe heartbeat"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="meshprobe heartbeat"`)
	}
	writeError(w, r, ref.code, ref.msg)
}

// serveOwnHealth answers /healthz and /health: 200 once the caches are filled.
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

func allowedMethod(w http.ResponseWriter, r *http.Request) bool {
	if methodAllowed(r) {
		return true
	}
	refusal{http.StatusMethodNotAllowed, "method " + truncate(r.Method) + " not allowed: use GET or HEAD"}.write(w, r)
	return false
}

func methodAllowed(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead
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
