package tefake

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

var validIntervals = []int{60, 120, 300, 600, 900, 1800, 3600}

// validate checks a request and the test it produces. The caller holds s.mu.
func (s *Server) validate(aid, selfID string, req *testRequest, t *Test, create bool) []fieldError {
	var errs []fieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, fieldError{Code: "INVALID", Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if req.URL == nil || req.Interval == nil || req.Agents == nil {
		for field, missing := range map[string]bool{"url": req.URL == nil, "interval": req.Interval == nil, "agents": req.Agents == nil} {
			if missing {
				add(field, "%s is required", field)
			}
		}
	}
	if create && strings.TrimSpace(t.TestName) == "" {
		add("testName", "testName is required")
	}
	s.validateValues(aid, selfID, t, add)
	slices.SortStableFunc(errs, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
	return errs
}

func (s *Server) validateValues(aid, selfID string, t *Test, add func(field, format string, args ...any)) {
	if u, err := url.Parse(t.URL); t.URL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		add("url", "url %q is not a valid http or https URL", t.URL)
	}
	if !slices.Contains(validIntervals, t.Interval) && t.Interval != 0 {
		add("interval", "interval %d must be one of %v", t.Interval, validIntervals)
	}
	if t.HTTPTargetTime < 100 || t.HTTPTargetTime > 5000 {
		add("httpTargetTime", "httpTargetTime %d must be between 100 and 5000", t.HTTPTargetTime)
	}
	if t.HTTPTimeLimit < 5 || t.HTTPTimeLimit > 60 {
		add("httpTimeLimit", "httpTimeLimit %d must be between 5 and 60", t.HTTPTimeLimit)
	}
	if t.HTTPVersion < 1 || t.HTTPVersion > 2 {
		add("httpVersion", "httpVersion %d must be 1 or 2", t.HTTPVersion)
	}
	if t.RequestMethod != "get" && t.RequestMethod != "post" {
		add("requestMethod", "requestMethod %q must be get or post", t.RequestMethod)
	}
	for _, h := range t.Headers {
		if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" {
			add("headers", "header %q must be \"Name: value\"", h)
		}
	}
	s.validateRefs(t, add)
	for id, other := range s.tests[aid] {
		if id != selfID && other.TestName == t.TestName && t.TestName != "" {
			add("testName", "a test named %q already exists (testId %s)", t.TestName, id)
		}
	}
}

func (s *Server) validateRefs(t *Test, add func(field, format string, args ...any)) {
	if len(t.Agents) == 0 {
		add("agents", "at least one agent is required")
	}
	for _, id := range t.Agents {
		if !slices.ContainsFunc(s.cfg.Agents, func(a Agent) bool { return a.AgentID == id }) {
			add("agents", "agent with id %q does not exist", id)
		}
	}
	for _, id := range t.AlertRules {
		if !slices.ContainsFunc(s.cfg.AlertRules, func(r AlertRule) bool { return r.RuleID == id }) {
			add("alertRules", "alert rule with id %q does not exist", id)
		}
	}
}

// render returns t as the API shows it; full adds agents and alert rules as objects.
func (s *Server) render(r *http.Request, t *Test, full bool) testJSON {
	out := testJSON{
		TestID: t.TestID, TestName: t.TestName, Type: "http-server", URL: t.URL, Description: t.Description,
		Interval: t.Interval, AlertsEnabled: t.AlertsEnabled, Enabled: t.Enabled, VerifyCertificate: t.VerifyCertificate,
		BandwidthMeasurements: t.BandwidthMeasurements, MTUMeasurements: t.MTUMeasurements,
		NetworkMeasurements: t.NetworkMeasurements, HTTPTargetTime: t.HTTPTargetTime, HTTPTimeLimit: t.HTTPTimeLimit,
		HTTPVersion: t.HTTPVersion, FollowRedirects: t.FollowRedirects, DesiredStatusCode: t.DesiredStatusCode,
		ContentRegex: t.ContentRegex, RequestMethod: t.RequestMethod, PostBody: t.PostBody, UserAgent: t.UserAgent,
		Headers: t.Headers, CreatedBy: t.CreatedBy, CreatedDate: t.CreatedDate, ModifiedBy: t.ModifiedBy,
		ModifiedDate: t.ModifiedDate, Links: links{Self: link{Href: s.base(r) + "/tests/http-server/" + t.TestID}},
	}
	if !full {
		return out
	}
	for _, id := range t.Agents {
		for _, a := range s.cfg.Agents {
			if a.AgentID == id {
				out.Agents = append(out.Agents, a)
			}
		}
	}
	for _, id := range t.AlertRules {
		for _, rule := range s.cfg.AlertRules {
			if rule.RuleID == id {
				out.AlertRules = append(out.AlertRules, rule)
			}
		}
	}
	return out
}
