package tefake

import (
	"strings"
	"time"
)

// Request is one entry of the request log.
type Request struct {
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	// Path is below the API prefix, e.g. "/tests/http-server/281471".
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	Status int    `json:"status"`
	// Limited is true when the rate limiter rejected the request.
	Limited bool `json:"limited,omitempty"`
	// Fault is true when an injected fault answered the request.
	Fault bool `json:"fault,omitempty"`
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, r)
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// Count returns how many logged requests had method (empty: any) and a path
// starting with pathPrefix.
func (s *Server) Count(method, pathPrefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// RateLimited returns how many logged requests the rate limiter rejected.
func (s *Server) RateLimited() int {
	n := 0
	for _, r := range s.Requests() {
		if r.Limited {
			n++
		}
	}
	return n
}

// Tests returns copies of the tests of account group aid (empty: the default),
// ordered by ID.
func (s *Server) Tests(aid string) []Test {
	if aid == "" {
		aid = s.cfg.AccountGroups[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Test
	for _, t := range s.sortedTests(aid) {
		out = append(out, t.clone())
	}
	return out
}

// Seed stores t in account group aid (empty: the default) as if made by hand in
// the UI, without validation or logging, and returns its new ID. Zero numeric and
// enum fields take the API's defaults.
func (s *Server) Seed(aid string, t Test) string {
	if aid == "" {
		aid = s.cfg.AccountGroups[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	t.TestID = itoa(s.nextID)
	if s.tests[aid] == nil {
		s.tests[aid] = map[string]*Test{}
	}
	c := t.clone()
	def := newTest()
	for _, f := range []struct {
		dst *int
		def int
	}{{&c.HTTPVersion, def.HTTPVersion}, {&c.HTTPTargetTime, def.HTTPTargetTime}, {&c.HTTPTimeLimit, def.HTTPTimeLimit}} {
		if *f.dst == 0 {
			*f.dst = f.def
		}
	}
	if c.RequestMethod == "" {
		c.RequestMethod, c.DesiredStatusCode = def.RequestMethod, def.DesiredStatusCode
	}
	s.tests[aid][t.TestID] = &c
	return t.TestID
}

// Mutate applies fn to the stored test id of account group aid (empty: the
// default), as a hand edit in the UI would. It reports whether the test exists.
func (s *Server) Mutate(aid, id string, fn func(*Test)) bool {
	if aid == "" {
		aid = s.cfg.AccountGroups[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tests[aid][id]
	if ok {
		fn(t)
	}
	return ok
}
