package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
)

const testsPath = "/tests/http-server"

// ListHTTPServerTests returns every HTTP Server test of the account group in one
// call (the API does not page). List items carry no Agents and no AlertRules.
func (c *Client) ListHTTPServerTests(ctx context.Context) ([]HTTPServerTest, error) {
	var out testList
	if err := c.do(ctx, call{method: http.MethodGet, path: testsPath, out: &out}); err != nil {
		return nil, fmt.Errorf("thousandeyes: listing http-server tests: %w", err)
	}
	return out.Tests, nil
}

// GetHTTPServerTest returns one test with its agents and alert rules expanded.
func (c *Client) GetHTTPServerTest(ctx context.Context, id string) (*HTTPServerTest, error) {
	var out HTTPServerTest
	q := url.Values{"expand": {"agent,alert-rule"}}
	if err := c.do(ctx, call{method: http.MethodGet, path: testPath(id), query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("thousandeyes: getting http-server test %s: %w", id, err)
	}
	return &out, nil
}

// CreateHTTPServerTest creates a test (POST, 201) and returns it. It is never
// retried: on any error the caller must list again before trying once more.
func (c *Client) CreateHTTPServerTest(ctx context.Context, req *HTTPServerTestRequest) (*HTTPServerTest, error) {
	var out HTTPServerTest
	var hdr http.Header
	if err := c.do(ctx, call{method: http.MethodPost, path: testsPath, body: req, out: &out, header: &hdr}); err != nil {
		return nil, fmt.Errorf("thousandeyes: creating http-server test %q: %w", req.TestName, err)
	}
	if out.TestID == "" && hdr != nil {
		if loc := hdr.Get("Location"); loc != "" {
			out.TestID = path.Base(loc)
		}
	}
	return &out, nil
}

// UpdateHTTPServerTest replaces the fields set in req on test id (PUT, 200).
// Fields omitted from req keep their old values.
func (c *Client) UpdateHTTPServerTest(ctx context.Context, id string, req *HTTPServerTestRequest) (*HTTPServerTest, error) {
	var out HTTPServerTest
	if err := c.do(ctx, call{method: http.MethodPut, path: testPath(id), body: req, out: &out}); err != nil {
		return nil, fmt.Errorf("thousandeyes: updating http-server test %s: %w", id, err)
	}
	return &out, nil
}

// DeleteHTTPServerTest deletes test id (204). A 404 is reported as an error that
// IsNotFound recognises, so callers can treat it as already done.
func (c *Client) DeleteHTTPServerTest(ctx context.Context, id string) error {
	if err := c.do(ctx, call{method: http.MethodDelete, path: testPath(id)}); err != nil {
		return fmt.Errorf("thousandeyes: deleting http-server test %s: %w", id, err)
	}
	return nil
}

// ListAgents returns the cloud and enterprise agents.
func (c *Client) ListAgents(ctx context.Context) ([]Agent, error) {
	var out agentList
	q := url.Values{"agentTypes": {"cloud,enterprise"}}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/agents", query: q, out: &out}); err != nil {
		return nil, fmt.Errorf("thousandeyes: listing agents: %w", err)
	}
	return out.Agents, nil
}

// ListAlertRules returns the alert rules of the account group.
func (c *Client) ListAlertRules(ctx context.Context) ([]AlertRule, error) {
	var out alertRuleList
	if err := c.do(ctx, call{method: http.MethodGet, path: "/alerts/rules", out: &out}); err != nil {
		return nil, fmt.Errorf("thousandeyes: listing alert rules: %w", err)
	}
	return out.AlertRules, nil
}

// testPath is the path of one test; URL.String escapes it.
func testPath(id string) string { return testsPath + "/" + id }
