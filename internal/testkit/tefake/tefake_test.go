package tefake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const token = "tok"

type harness struct {
	t   *testing.T
	fk  *Server
	url string
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	cfg.Token = token
	fk := New(cfg)
	srv := httptest.NewServer(fk)
	t.Cleanup(srv.Close)
	return &harness{t: t, fk: fk, url: srv.URL + "/v7"}
}

// do sends a request and decodes a JSON answer into a map.
func (h *harness) do(method, path, body string) (*http.Response, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.url+path, strings.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(h.t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp, out
}

const validBody = `{"testName":"api","url":"https://api.example.com/healthz","interval":300,"agents":[{"agentId":"3"}],"headers":["X-A: 1"],"verifyCertificate":true}`

func TestCRUD(t *testing.T) {
	h := newHarness(t, Config{})
	resp, created := h.do(http.MethodPost, "/tests/http-server", validBody)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	id, ok := created["testId"].(string)
	require.True(t, ok, "testId is a string: %v", created["testId"])
	assert.Equal(t, h.url+"/tests/http-server/"+id, resp.Header.Get("Location"))
	assert.Equal(t, "application/hal+json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "http-server", created["type"])
	assert.NotEmpty(t, created["createdDate"])
	rules := created["alertRules"].([]any)
	require.Len(t, rules, 1, "alertsEnabled defaults to true and brings the default rule")
	assert.Equal(t, "344753", rules[0].(map[string]any)["ruleId"])

	_, list := h.do(http.MethodGet, "/tests/http-server", "")
	items := list["tests"].([]any)
	require.Len(t, items, 1)
	item := items[0].(map[string]any)
	assert.NotContains(t, item, "agents", "list items have no agents")
	assert.NotContains(t, item, "alertRules", "list items have no alertRules")

	// PUT keeps omitted optional fields (verifyCertificate, headers).
	resp, updated := h.do(http.MethodPut, "/tests/http-server/"+id, `{"url":"https://api.example.com/healthz","interval":600,"agents":[{"agentId":"4"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 600, updated["interval"])
	assert.Equal(t, true, updated["verifyCertificate"])
	assert.Equal(t, []any{"X-A: 1"}, updated["headers"])
	_, got := h.do(http.MethodGet, "/tests/http-server/"+id+"?expand=agent,alert-rule", "")
	agent := got["agents"].([]any)[0].(map[string]any)
	assert.Equal(t, "4", agent["agentId"])
	assert.Equal(t, "Tokyo, Japan", agent["agentName"])

	resp, _ = h.do(http.MethodDelete, "/tests/http-server/"+id, "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, problem := h.do(http.MethodDelete, "/tests/http-server/"+id, "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	assert.EqualValues(t, 404, problem["status"])
}

func TestValidation(t *testing.T) {
	h := newHarness(t, Config{})
	cases := map[string]struct{ body, field string }{
		"unknown agent":    {`{"testName":"a","url":"https://x","interval":60,"agents":[{"agentId":"999"}]}`, "agents"},
		"unknown rule":     {`{"testName":"a","url":"https://x","interval":60,"agents":[{"agentId":"3"}],"alertRules":["5"]}`, "alertRules"},
		"bad interval":     {`{"testName":"a","url":"https://x","interval":45,"agents":[{"agentId":"3"}]}`, "interval"},
		"missing url":      {`{"testName":"a","interval":60,"agents":[{"agentId":"3"}]}`, "url"},
		"missing agents":   {`{"testName":"a","url":"https://x","interval":60}`, "agents"},
		"time limit":       {`{"testName":"a","url":"https://x","interval":60,"agents":[{"agentId":"3"}],"httpTimeLimit":61}`, "httpTimeLimit"},
		"target time":      {`{"testName":"a","url":"https://x","interval":60,"agents":[{"agentId":"3"}],"httpTargetTime":50}`, "httpTargetTime"},
		"bad header":       {`{"testName":"a","url":"https://x","interval":60,"agents":[{"agentId":"3"}],"headers":["nocolon"]}`, "headers"},
		"missing testName": {`{"url":"https://x","interval":60,"agents":[{"agentId":"3"}]}`, "testName"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, p := h.do(http.MethodPost, "/tests/http-server", tc.body)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			errs := p["errors"].([]any)
			require.NotEmpty(t, errs)
			assert.Equal(t, tc.field, errs[0].(map[string]any)["field"])
		})
	}
	t.Run("duplicate name", func(t *testing.T) {
		resp, _ := h.do(http.MethodPost, "/tests/http-server", validBody)
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		resp, p := h.do(http.MethodPost, "/tests/http-server", validBody)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "testName", p["errors"].([]any)[0].(map[string]any)["field"])
	})
	t.Run("malformed body has title only", func(t *testing.T) {
		resp, p := h.do(http.MethodPost, "/tests/http-server", `{"testName":`)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.NotContains(t, p, "detail")
		assert.Contains(t, p["title"], "Invalid request body")
	})
}

func TestAuthAndAccountGroups(t *testing.T) {
	h := newHarness(t, Config{AccountGroups: []string{"1", "2"}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, h.url+"/tests/http-server", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var body map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "invalid_token", body["error"])

	resp, _ = h.do(http.MethodPost, "/tests/http-server?aid=2", validBody)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Len(t, h.fk.Tests("2"), 1)
	assert.Empty(t, h.fk.Tests("1"), "tests are scoped by aid")
	resp, _ = h.do(http.MethodGet, "/tests/http-server?aid=9", "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, Config{Limit: 3, Window: time.Hour})
	for i := 0; i < 3; i++ {
		resp, _ := h.do(http.MethodGet, "/agents", "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "3", resp.Header.Get("X-Organization-Rate-Limit-Limit"))
		assert.Equal(t, []string{"2", "1", "0"}[i], resp.Header.Get("X-Organization-Rate-Limit-Remaining"))
	}
	resp, _ := h.do(http.MethodGet, "/agents", "")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Retry-After"), "the API sends no Retry-After")
	assert.NotEmpty(t, resp.Header.Get("X-Organization-Rate-Limit-Reset"))
	assert.Equal(t, 1, h.fk.RateLimited())
}

func TestFaults(t *testing.T) {
	h := newHarness(t, Config{})
	h.fk.AddFault(Fault{Method: http.MethodPost, Status: http.StatusBadGateway, AfterHandle: true, Times: 1})
	resp, _ := h.do(http.MethodPost, "/tests/http-server", validBody)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Len(t, h.fk.Tests(""), 1, "an after-handle fault loses the response, not the write")

	h.fk.AddFault(Fault{Path: "/tests", Status: http.StatusInternalServerError, Every: 2})
	codes := []int{}
	for i := 0; i < 4; i++ {
		resp, _ := h.do(http.MethodGet, "/tests/http-server", "")
		codes = append(codes, resp.StatusCode)
	}
	assert.Equal(t, []int{200, 500, 200, 500}, codes)
	h.fk.ClearFaults()

	h.fk.AddFault(Fault{Status: http.StatusTooManyRequests, Times: 1})
	resp, _ = h.do(http.MethodGet, "/agents", "")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "0", resp.Header.Get("X-Organization-Rate-Limit-Remaining"))
	assert.Len(t, h.fk.Requests(), 6)
	assert.Equal(t, 4, h.fk.Count(http.MethodGet, "/tests/http-server"))
}

func TestAdminHandler(t *testing.T) {
	fk := New(Config{Token: token})
	srv := httptest.NewServer(fk.AdminHandler())
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/_fake/faults", strings.NewReader(`{"status":503,"delay":"1ms","times":1}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	rec := httptest.NewRecorder()
	fk.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/v7/agents", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
}
