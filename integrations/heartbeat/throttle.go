package heartbeat

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// allow spends one request of client's RateLimit budget and answers 429 when it
// is spent.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, client string) bool {
	if s.limiter == nil {
		return true
	}
	d := s.limiter.allow(client)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.FormatInt(s.limiter.rate.Limit, 10))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(d.remaining, 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(d.reset.Unix(), 10))
	if d.allowed {
		return true
	}
	s.tooMany(w, r, d.reset, "rate limit exceeded")
	return false
}

// failuresLeft answers 429, without counting, while client's FailedAuthRateLimit
// budget is spent.
func (s *Server) failuresLeft(w http.ResponseWriter, r *http.Request, client string) bool {
	if s.failures == nil {
		return true
	}
	spent, reset := s.failures.spent(client)
	if spent {
		s.tooMany(w, r, reset, "too many failed requests")
	}
	return !spent
}

// countFailure spends one request of client's FailedAuthRateLimit budget and
// answers 429 when there was none left.
func (s *Server) countFailure(w http.ResponseWriter, r *http.Request, client string) bool {
	if s.failures == nil {
		return true
	}
	d := s.failures.allow(client)
	if !d.allowed {
		s.tooMany(w, r, d.reset, "too many failed requests")
	}
	return d.allowed
}

// tooMany answers 429 with Retry-After until reset.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, reset time.Time, msg string) {
	wait := math.Ceil(reset.Sub(s.cfg.Clock.Now()).Seconds())
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait))))
	writeError(w, r, http.StatusTooManyRequests, msg)
}
