package tefake

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fault makes matching requests fail. With AfterHandle false the request never
// takes effect: the fake waits Delay, then answers Status. With AfterHandle true
// the request takes effect first (a test is created, updated or deleted), then the
// fake waits Delay and answers Status instead of the real answer, or the real
// answer when Status is 0: the "response lost" cases behind duplicate creates.
type Fault struct {
	// Method matches the request method; empty matches all.
	Method string `json:"method,omitempty"`
	// Path matches a prefix of the path below the API prefix, e.g.
	// "/tests/http-server"; empty matches all.
	Path string `json:"path,omitempty"`
	// Status is the answer: 429, 500, 502, 503... 0 means 504 before the request
	// takes effect, the real answer after it.
	Status int `json:"status,omitempty"`
	// Delay is waited before answering (the request's own context ends it), to
	// make clients time out.
	Delay time.Duration `json:"delay,omitempty"`
	// AfterHandle applies the request before failing.
	AfterHandle bool `json:"afterHandle,omitempty"`
	// Times is how many requests it fails; 0 means until cleared.
	Times int `json:"times,omitempty"`
	// Every fails only every Nth matching request (1 or 0: every one).
	Every int `json:"every,omitempty"`
}

type faultState struct {
	Fault
	seen, fired int
}

type faultSet struct {
	mu     sync.Mutex
	faults []*faultState
}

func (fs *faultSet) add(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = append(fs.faults, &faultState{Fault: f})
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.faults = nil
}

// match returns the first fault that fires for this request, counting it.
func (fs *faultSet) match(method, path string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.faults {
		if (f.Method != "" && !strings.EqualFold(f.Method, method)) || !strings.HasPrefix(path, f.Path) {
			continue
		}
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		f.seen++
		if f.Every > 1 && f.seen%f.Every != 0 {
			continue
		}
		f.fired++
		out := f.Fault
		return &out
	}
	return nil
}

// AddFault installs f; faults are tried in the order added.
func (s *Server) AddFault(f Fault) { s.faults.add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// serveFault answers r as f says; next, when not nil, applies the request first.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault, next http.Handler) {
	var real *httptest.ResponseRecorder
	if next != nil {
		real = httptest.NewRecorder()
		next.ServeHTTP(real, r)
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
	}
	switch {
	case f.Status == 0 && real != nil:
		copyRecorded(w, real)
	case f.Status == http.StatusTooManyRequests:
		_, reset := s.limiter.state(time.Now())
		w.Header().Set("X-Organization-Rate-Limit-Remaining", "0")
		w.Header().Set("X-Organization-Rate-Limit-Reset", itoa(int(reset.Unix())))
		writeProblem(w, f.Status, problem{Title: "Too Many Requests", Detail: "organization rate limit exceeded"})
	case f.Status == 0:
		writeProblem(w, http.StatusGatewayTimeout, problem{Title: "Gateway Timeout"})
	default:
		writeProblem(w, f.Status, problem{Title: http.StatusText(f.Status), Detail: "injected fault"})
	}
}

func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
