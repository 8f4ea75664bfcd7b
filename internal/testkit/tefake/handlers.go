package tefake

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Server) listTests(w http.ResponseWriter, r *http.Request) {
	aid, _ := s.accountGroup(r)
	s.mu.Lock()
	items := make([]testJSON, 0, len(s.tests[aid]))
	for _, t := range s.sortedTests(aid) {
		items = append(items, s.render(r, t, false))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"tests":  items,
		"_links": links{Self: link{Href: s.base(r) + "/tests/http-server"}},
	})
}

func (s *Server) getTest(w http.ResponseWriter, r *http.Request) {
	aid, _ := s.accountGroup(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tests[aid][r.PathValue("id")]
	if !ok {
		writeNotFound(w, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, s.render(r, t, true))
}

func (s *Server) createTest(w http.ResponseWriter, r *http.Request) {
	aid, _ := s.accountGroup(r)
	req, ok := s.decode(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := newTest()
	req.apply(t)
	if req.AlertRules == nil && t.AlertsEnabled {
		t.AlertRules = s.defaultRules()
	}
	if errs := s.validate(aid, "", req, t, true); len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	s.nextID++
	t.TestID = strconv.Itoa(s.nextID)
	now := time.Now().UTC().Format(time.RFC3339)
	t.CreatedBy, t.CreatedDate, t.ModifiedBy, t.ModifiedDate = s.cfg.User, now, s.cfg.User, now
	if s.tests[aid] == nil {
		s.tests[aid] = map[string]*Test{}
	}
	s.tests[aid][t.TestID] = t
	w.Header().Set("Location", s.base(r)+"/tests/http-server/"+t.TestID)
	writeJSON(w, http.StatusCreated, s.render(r, t, true))
}

func (s *Server) updateTest(w http.ResponseWriter, r *http.Request) {
	aid, _ := s.accountGroup(r)
	req, ok := s.decode(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.tests[aid][r.PathValue("id")]
	if !ok {
		writeNotFound(w, r.PathValue("id"))
		return
	}
	t := old.clone()
	req.apply(&t)
	if req.AlertRules == nil && t.AlertsEnabled {
		t.AlertRules = s.defaultRules()
	}
	if errs := s.validate(aid, t.TestID, req, &t, false); len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	t.ModifiedBy, t.ModifiedDate = s.cfg.User, time.Now().UTC().Format(time.RFC3339)
	s.tests[aid][t.TestID] = &t
	writeJSON(w, http.StatusOK, s.render(r, &t, true))
}

func (s *Server) deleteTest(w http.ResponseWriter, r *http.Request) {
	aid, _ := s.accountGroup(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if _, ok := s.tests[aid][id]; !ok {
		writeNotFound(w, id)
		return
	}
	delete(s.tests[aid], id)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	types := r.URL.Query().Get("agentTypes")
	out := []Agent{}
	for _, a := range s.cfg.Agents {
		if types == "" || containsFold(strings.Split(types, ","), a.AgentType) {
			out = append(out, a)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": out, "_links": links{Self: link{Href: s.base(r) + "/agents"}}})
}

func (s *Server) listAlertRules(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"alertRules": s.cfg.AlertRules, "_links": links{Self: link{Href: s.base(r) + "/alerts/rules"}}})
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(strings.TrimSpace(v), s) {
			return true
		}
	}
	return false
}

// decode reads a JSON request body, answering 415 or 400 itself when it cannot.
// A malformed body gets a title-only problem, as the real API sometimes sends.
func (s *Server) decode(w http.ResponseWriter, r *http.Request) (*testRequest, bool) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeProblem(w, http.StatusUnsupportedMediaType, problem{Title: "Unsupported Media Type", Detail: "want application/json, got " + ct})
		return nil, false
	}
	var req testRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, http.StatusRequestEntityTooLarge, problem{Title: "Request body too large"})
			return nil, false
		}
		writeProblem(w, http.StatusBadRequest, problem{Title: "Invalid request body: " + err.Error()})
		return nil, false
	}
	return &req, true
}

func (s *Server) defaultRules() []string {
	var ids []string
	for _, r := range s.cfg.AlertRules {
		if r.IsDefault {
			ids = append(ids, r.RuleID)
		}
	}
	return ids
}

// sortedTests returns aid's tests by numeric ID. The caller holds s.mu.
func (s *Server) sortedTests(aid string) []*Test {
	out := make([]*Test, 0, len(s.tests[aid]))
	for _, t := range s.tests[aid] {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].TestID)
		b, _ := strconv.Atoi(out[j].TestID)
		return a < b
	})
	return out
}

func (s *Server) base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + s.cfg.Prefix
}

func writeNotFound(w http.ResponseWriter, id string) {
	writeProblem(w, http.StatusNotFound, problem{Title: "Not Found", Detail: "test " + id + " not found"})
}

func writeValidation(w http.ResponseWriter, errs []fieldError) {
	writeProblem(w, http.StatusBadRequest, problem{Title: "Bad Request", Detail: "Validation failed", Errors: errs})
}
