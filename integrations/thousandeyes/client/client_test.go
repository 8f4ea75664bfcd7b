package client

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestClient(t *testing.T, h http.Handler, mod func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL + "/v7", Token: "s3cret", Window: time.Second, RetryBackoff: 10 * time.Millisecond, MaxJitter: 10 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func TestErrorParsing(t *testing.T) {
	cases := []struct {
		name, ctype, body string
		status            int
		want              string
		fields            int
	}{
		{"title only", "application/problem+json", `{"type":"x","title":"Invalid test interval","status":400}`, 400, "400 Bad Request: Invalid test interval", 0},
		{"detail and errors", "application/problem+json", `{"title":"Bad Request","status":400,"detail":"Validation failed","errors":[{"code":"INVALID","field":"agents","message":"agent 9 does not exist"}]}`, 400, "Validation failed; agents: agent 9 does not exist", 1},
		{"oauth 401", "application/json", `{"error":"invalid_token","error_description":"Invalid access token"}`, 401, "401 Unauthorized: Invalid access token", 0},
		{"problem 404", "application/problem+json", `{"title":"Not Found","status":404,"detail":"test 7 not found","instance":"/v7/tests/http-server/7"}`, 404, "404 Not Found: test 7 not found", 0},
		{"not json", "text/html", "<html>bad gateway</html>", 502, "502 Bad Gateway: <html>bad gateway</html>", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}), func(c *Config) { c.MaxRetries = -1 })
			_, err := c.CreateHTTPServerTest(t.Context(), &HTTPServerTestRequest{TestName: "a"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "thousandeyes: creating http-server test")
			assert.Equal(t, tc.status, StatusCode(err))
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Len(t, apiErr.Errors, tc.fields)
		})
	}
}

func TestRequestShape(t *testing.T) {
	var got *http.Request
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Location", "http://x/v7/tests/http-server/4242")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"testName":"a"}`))
	}), func(c *Config) { c.AID = "77" })
	created, err := c.CreateHTTPServerTest(t.Context(), &HTTPServerTestRequest{TestName: "a", URL: "https://x", Interval: 60})
	require.NoError(t, err)
	assert.Equal(t, "4242", created.TestID, "testId taken from Location when the body lacks it")
	assert.Equal(t, "Bearer s3cret", got.Header.Get("Authorization"))
	assert.Equal(t, "77", got.URL.Query().Get("aid"))
	assert.Equal(t, "/v7/tests/http-server", got.URL.Path)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
}

func TestRetriesOnlyIdempotent(t *testing.T) {
	for _, tc := range []struct {
		method string
		calls  int32
	}{{http.MethodGet, 3}, {http.MethodPut, 3}, {http.MethodDelete, 3}, {http.MethodPost, 1}} {
		t.Run(tc.method, func(t *testing.T) {
			var n atomic.Int32
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) < 3 {
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				if r.Method == http.MethodDelete {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				_, _ = w.Write([]byte(`{"tests":[],"testId":"1"}`))
			}), nil)
			var err error
			switch tc.method {
			case http.MethodGet:
				_, err = c.ListHTTPServerTests(t.Context())
			case http.MethodPut:
				_, err = c.UpdateHTTPServerTest(t.Context(), "1", &HTTPServerTestRequest{})
			case http.MethodDelete:
				err = c.DeleteHTTPServerTest(t.Context(), "1")
			case http.MethodPost:
				_, err = c.CreateHTTPServerTest(t.Context(), &HTTPServerTestRequest{})
				require.Error(t, err, "a POST is never retried")
			}
			if tc.method != http.MethodPost {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.calls, n.Load())
		})
	}
}

// A 429 holds every request until the Reset time the server gave.
func TestRateLimitedWaitsUntilReset(t *testing.T) {
	var mu sync.Mutex
	var reset time.Time
	var times []time.Time
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		times = append(times, now)
		w.Header().Set(HeaderRateLimit, "240")
		if len(times) == 1 {
			reset = now.Truncate(time.Second).Add(2 * time.Second)
			w.Header().Set(HeaderRateRemaining, "0")
			w.Header().Set(HeaderRateReset, strconv.FormatInt(reset.Unix(), 10))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"tests":[]}`))
	}), nil)
	_, err := c.ListHTTPServerTests(t.Context())
	require.NoError(t, err)
	require.Len(t, times, 2)
	// Date has second resolution, so the wait is measured from the server's second.
	assert.False(t, times[1].Before(reset.Add(-time.Second)), "retried at %v, before reset %v", times[1], reset)
}

func TestLimitHeaderRepaces(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(HeaderRateLimit, "600")
		w.Header().Set(HeaderRateRemaining, "599")
		_, _ = w.Write([]byte(`{"agents":[{"agentId":"3","agentName":"Singapore"}]}`))
	}), nil)
	agents, err := c.ListAgents(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []Agent{{AgentID: "3", AgentName: "Singapore"}}, agents)
	limit, blocked := c.RateLimit()
	assert.Equal(t, 600, limit)
	assert.True(t, blocked.IsZero())
}

func TestObserve(t *testing.T) {
	var codes []int
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}), func(c *Config) { c.Observe = func(_ string, code int) { codes = append(codes, code) } })
	require.NoError(t, c.DeleteHTTPServerTest(t.Context(), "5"))
	assert.Equal(t, []int{204}, codes)
}

func TestNewValidates(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no token":  {BaseURL: "https://api.thousandeyes.com/v7"},
		"bad url":   {BaseURL: "api.thousandeyes.com", Token: "x"},
		"bad share": {BaseURL: "https://h/v7", Token: "x", BudgetShare: 2},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "thousandeyes client:")
		})
	}
}
