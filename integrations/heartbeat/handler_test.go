package heartbeat

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	testclock "k8s.io/utils/clock/testing"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

const testToken = "dGVzdDp0ZXN0"

type testServer struct {
	url  string
	reg  *prometheus.Registry
	logs *bytes.Buffer
	clk  *testclock.FakeClock
}

func startTestServer(t *testing.T, mutate func(*Config)) testServer {
	t.Helper()
	c := newStaticCache(t, loadObjects(t, "testdata/verdicts/deployment-healthy.yaml")...)
	cfg := DefaultConfig()
	cfg.Token = testToken
	clk := newFakeClock()
	cfg.Clock = clk
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &bytes.Buffer{}
	reg := prometheus.NewRegistry()
	s, err := NewServer(cfg, c, staticMesh{"shop/Deployment/web": 2}, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), reg)
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return testServer{url: srv.URL, reg: reg, logs: logs, clk: clk}
}

func do(t *testing.T, method, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func TestHandlerAuthAndRouting(t *testing.T) {
	ts := startTestServer(t, nil)
	web := ts.url + "/api/healthz/shop/deployment/web"
	tests := []struct {
		name, method, url string
		header            http.Header
		wantCode          int
		wantBody          string
	}{
		{"no token", "GET", web, nil, 401, "authentication required"},
		{"wrong query token", "GET", web + "?token=nope", nil, 403, "wrong token"},
		{"query token", "GET", web + "?token=" + testToken, nil, 200, `"status":"healthy"`},
		{"basic header", "GET", web, http.Header{"Authorization": {"Basic " + testToken}}, 200, `"status":"healthy"`},
		{"bearer header", "GET", web, http.Header{"Authorization": {"Bearer " + testToken}}, 200, `"status":"healthy"`},
		{"lower-case scheme", "GET", web, http.Header{"Authorization": {"bearer " + testToken}}, 200, `"status":"healthy"`},
		{"wrong bearer", "GET", web, http.Header{"Authorization": {"Bearer x" + testToken}}, 403, "wrong token"},
		{"other scheme is no token", "GET", web, http.Header{"Authorization": {"Digest " + testToken}}, 401, ""},
		{"unknown workload", "GET", ts.url + "/api/healthz/shop/deployment/nope?token=" + testToken, nil, 404, `"status":"unknown"`},
		{"unknown workload needs auth first", "GET", ts.url + "/api/healthz/shop/deployment/nope", nil, 401, ""},
		{"bad kind", "GET", ts.url + "/api/healthz/shop/job/web?token=" + testToken, nil, 404, `kind \"job\"`},
		{"unknown path", "GET", ts.url + "/metrics", nil, 404, "no such endpoint"},
		{"bad method", "POST", web + "?token=" + testToken, nil, 405, "use GET or HEAD"},
		{"own health", "GET", ts.url + "/healthz", nil, 200, `"status":"ok"`},
		{"own health bad method", "DELETE", ts.url + "/healthz", nil, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, tt.url, tt.header)
			assert.Equal(t, tt.wantCode, resp.StatusCode, string(body))
			assert.Contains(t, string(body), tt.wantBody)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			switch tt.wantCode {
			case 401:
				assert.Equal(t, []string{`Basic realm="meshprobe heartbeat"`, `Bearer realm="meshprobe heartbeat"`}, resp.Header.Values("WWW-Authenticate"))
			case 405:
				assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
			}
		})
	}
	assert.NotContains(t, ts.logs.String(), testToken, "tokens must never be logged")
	assert.InDelta(t, 4, counterValue(t, ts.reg, KindDeployment, "200"), 0)
	assert.InDelta(t, 1, counterValue(t, ts.reg, kindUnknown, "404"), 0)
}

func counterValue(t *testing.T, reg *prometheus.Registry, kind, code string) float64 {
	t.Helper()
	return promtest.CounterValue(t, reg, "meshprobe_heartbeat_requests_total", map[string]string{"kind": kind, "code": code})
}

func TestHandlerHEAD(t *testing.T) {
	ts := startTestServer(t, nil)
	for _, tt := range []struct {
		path string
		code int
	}{
		{"/api/healthz/shop/deployment/web?token=" + testToken, 200},
		{"/api/healthz/shop/deployment/nope?token=" + testToken, 404},
		{"/api/healthz/shop/deployment/web", 401},
		{"/healthz", 200},
	} {
		get, getBody := do(t, "GET", ts.url+tt.path, nil)
		head, headBody := do(t, "HEAD", ts.url+tt.path, nil)
		assert.Equal(t, tt.code, get.StatusCode, tt.path)
		assert.Equal(t, get.StatusCode, head.StatusCode, tt.path)
		assert.NotEmpty(t, getBody)
		assert.Empty(t, headBody, "HEAD has no body")
		assert.Equal(t, get.Header.Get("Content-Type"), head.Header.Get("Content-Type"))
	}
}

func TestHandlerRateLimit(t *testing.T) {
	ts := startTestServer(t, func(c *Config) { c.RateLimit = Rate{Limit: 2, Period: time.Minute} })
	web := ts.url + "/api/healthz/shop/deployment/web"
	resp, _ := do(t, "GET", web+"?token="+testToken, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Limit"))
	assert.Equal(t, "1", resp.Header.Get("X-RateLimit-Remaining"))
	resp, _ = do(t, "GET", web, nil) // counts in the failure bucket only
	require.Equal(t, 401, resp.StatusCode)
	resp, _ = do(t, "GET", web+"?token="+testToken, nil)
	require.Equal(t, 200, resp.StatusCode, "the unauthenticated request spent nothing of the budget")
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	ts.clk.Step(20 * time.Second)
	resp, body := do(t, "GET", web+"?token="+testToken, nil)
	require.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, "40", resp.Header.Get("Retry-After"))
	assert.Contains(t, string(body), "rate limit exceeded")
	resp, _ = do(t, "GET", ts.url+"/healthz", nil)
	assert.Equal(t, 200, resp.StatusCode, "/healthz is not rate limited")
	ts.clk.Step(40 * time.Second)
	resp, _ = do(t, "GET", web+"?token="+testToken, nil)
	assert.Equal(t, 200, resp.StatusCode, "the next window admits requests again")
	assert.InDelta(t, 1, counterValue(t, ts.reg, KindDeployment, "429"), 0)
}

// TestHandlerFailedAuthBucket: requests that do not authenticate spend a small
// bucket of their own; once it is spent the client gets 429 for every request,
// a correct token included (no oracle), while its RateLimit budget stays whole
// and other clients are unaffected.
func TestHandlerFailedAuthBucket(t *testing.T) {
	ts := startTestServer(t, func(c *Config) {
		c.RateLimit, c.FailedAuthRateLimit = Rate{Limit: 100, Period: time.Minute}, Rate{Limit: 3, Period: time.Minute}
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	web := ts.url + "/api/healthz/shop/deployment/web"
	guesser, monitor := http.Header{"X-Forwarded-For": {"203.0.113.7"}}, http.Header{"X-Forwarded-For": {"198.51.100.1"}}
	for i, url := range []string{web + "?token=guess1", web, ts.url + "/api/healthz/shop/nokind/web?token=guess2"} {
		resp, _ := do(t, "GET", url, guesser)
		require.Contains(t, []int{401, 403, 404}, resp.StatusCode, "failure %d", i)
		assert.Empty(t, resp.Header.Get("X-RateLimit-Remaining"), "failures do not touch RateLimit")
	}
	resp, body := do(t, "GET", web+"?token=guess3", guesser)
	require.Equal(t, 429, resp.StatusCode)
	assert.Contains(t, string(body), "too many failed requests")
	assert.Equal(t, "60", resp.Header.Get("Retry-After"))
	resp, _ = do(t, "GET", web+"?token="+testToken, guesser)
	assert.Equal(t, 429, resp.StatusCode, "a right guess is refused like a wrong one")

	resp, _ = do(t, "GET", web+"?token="+testToken, monitor)
	require.Equal(t, 200, resp.StatusCode, "another client is not throttled")
	assert.Equal(t, "99", resp.Header.Get("X-RateLimit-Remaining"))

	ts.clk.Step(time.Minute)
	resp, _ = do(t, "GET", web+"?token="+testToken, guesser)
	require.Equal(t, 200, resp.StatusCode, "the failure window ended")
	assert.Equal(t, "99", resp.Header.Get("X-RateLimit-Remaining"), "the guesses spent none of the client's RateLimit")
}

// TestHandlerForwardedFor: X-Forwarded-For picks the client only behind a
// trusted proxy; from any other peer it cannot buy a fresh budget.
func TestHandlerForwardedFor(t *testing.T) {
	limited := func(trusted ...netip.Prefix) string {
		return startTestServer(t, func(c *Config) {
			c.RateLimit, c.TrustedProxies = Rate{Limit: 1, Period: time.Minute}, trusted
		}).url + "/api/healthz/shop/deployment/web?token=" + testToken
	}
	xff := func(a string) http.Header { return http.Header{"X-Forwarded-For": {a}} }

	untrusted := limited(netip.MustParsePrefix("10.0.0.0/8"))
	resp, _ := do(t, "GET", untrusted, xff("192.0.2.1"))
	require.Equal(t, 200, resp.StatusCode)
	resp, _ = do(t, "GET", untrusted, xff("192.0.2.2"))
	assert.Equal(t, 429, resp.StatusCode, "the peer 127.0.0.1 is no trusted proxy: its header is ignored")

	proxied := limited(netip.MustParsePrefix("127.0.0.1/32"))
	resp, _ = do(t, "GET", proxied, xff("192.0.2.1"))
	require.Equal(t, 200, resp.StatusCode)
	resp, _ = do(t, "GET", proxied, xff("192.0.2.2"))
	assert.Equal(t, 200, resp.StatusCode, "behind the trusted proxy each client has its own budget")
	resp, _ = do(t, "GET", proxied, xff("192.0.2.2, 192.0.2.1"))
	assert.Equal(t, 429, resp.StatusCode, "the rightmost untrusted address is the client, whatever the client prepends")
}

func TestHandlerVerdictBody(t *testing.T) {
	ts := startTestServer(t, nil)
	resp, body := do(t, "GET", ts.url+"/api/healthz/shop/deployment/web?token="+testToken, nil)
	require.Equal(t, 200, resp.StatusCode)
	var v Verdict
	require.NoError(t, json.Unmarshal(body, &v))
	assert.Equal(t, StatusHealthy, v.Status)
	assert.Equal(t, &Replicas{Desired: 2, Updated: 2, Ready: 2, Available: 2}, v.Replicas)
	assert.Equal(t, &MeshSummary{Injected: 2, Alive: 2}, v.Mesh)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
}

func TestNewServerRefusesWithoutToken(t *testing.T) {
	c := newStaticCache(t)
	log := slog.New(slog.DiscardHandler)
	cfg := DefaultConfig()
	_, err := NewServer(cfg, c, nil, log, prometheus.NewRegistry())
	require.ErrorContains(t, err, "AUTH_TOKEN_BASIC")
	require.ErrorContains(t, err, "--insecure-no-auth")

	cfg.InsecureNoAuth = true
	s, err := NewServer(cfg, c, nil, log, prometheus.NewRegistry())
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/healthz/shop/deployment/web", nil))
	assert.Equal(t, 404, rec.Code, "no auth needed; the workload is unknown")
}

func TestLoadEnv(t *testing.T) {
	env := map[string]string{EnvAuthToken: "s3cret", EnvRateLimit: "10-M"}
	cfg := DefaultConfig()
	require.NoError(t, cfg.LoadEnv(func(k string) string { return env[k] }))
	assert.Equal(t, "s3cret", cfg.Token)
	assert.Equal(t, Rate{10, time.Minute}, cfg.RateLimit)

	env[EnvRateLimit] = "lots"
	err := cfg.LoadEnv(func(k string) string { return env[k] })
	require.ErrorContains(t, err, `RATE_LIMIT "lots"`)
	assert.False(t, strings.Contains(err.Error(), "s3cret"))

	env[EnvRateLimit], env[EnvRatePeriod] = "100", "M"
	require.NoError(t, cfg.LoadEnv(func(k string) string { return env[k] }))
	assert.Equal(t, Rate{100, time.Minute}, cfg.RateLimit)

	delete(env, EnvRateLimit)
	require.NoError(t, cfg.LoadEnv(func(k string) string { return env[k] }))
	assert.Equal(t, Rate{3600, time.Minute}, cfg.RateLimit, "k8s-heartbeat's default RATE_LIMIT is 3600")

	env[EnvRateLimit] = "10-M"
	err = cfg.LoadEnv(func(k string) string { return env[k] })
	require.ErrorContains(t, err, `RATE_LIMIT "10-M" with RATE_LIMIT_PERIOD "M"`)
}

// TestHandlerRateLimitFromPlainNumber: RATE_LIMIT=2 with RATE_LIMIT_PERIOD=M, as
// k8s-heartbeat reads them, limits a client to two requests a minute over HTTP.
func TestHandlerRateLimitFromPlainNumber(t *testing.T) {
	env := map[string]string{EnvRateLimit: "2", EnvRatePeriod: "M"}
	ts := startTestServer(t, func(c *Config) { require.NoError(t, c.LoadEnv(func(k string) string { return env[k] })) })
	web := ts.url + "/api/health/shop/deployment/web?token=" + testToken
	for i := range 2 {
		resp, _ := do(t, "GET", web, nil)
		require.Equal(t, 200, resp.StatusCode, "request %d", i)
		assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Limit"))
	}
	resp, _ := do(t, "GET", web, nil)
	require.Equal(t, 429, resp.StatusCode)
	assert.Equal(t, "60", resp.Header.Get("Retry-After"), "the window is a minute")
	ts.clk.Step(time.Minute)
	resp, _ = do(t, "GET", web, nil)
	assert.Equal(t, 200, resp.StatusCode, "the next minute admits requests again")
}

// TestHandlerHealthAnswersLikeHealthz: /health and /api/health/... (k8s-heartbeat's
// README names /health) get exactly the answers of their /healthz twins. Two
// servers with the same clock take the same requests, one under each name, so
// the rate-limit headers, the 429 and the request counter must match as well.
func TestHandlerHealthAnswersLikeHealthz(t *testing.T) {
	limited := func(c *Config) { c.RateLimit = Rate{Limit: 4, Period: time.Minute} }
	healthz, health := startTestServer(t, limited), startTestServer(t, limited)
	web := "/api/healthz/shop/deployment/web"
	basic := http.Header{"Authorization": {"Basic " + testToken}}
	requests := []struct {
		method, path string
		header       http.Header
		wantCode     int
	}{
		{"GET", "/healthz", nil, 200},
		{"HEAD", "/healthz", nil, 200},
		{"POST", "/healthz", nil, 405},
		{"GET", web, nil, 401},
		{"GET", web + "?token=wrong", nil, 403},
		{"GET", "/api/healthz/shop/job/web?token=" + testToken, nil, 404},
		{"GET", "/api/healthz/shop/deployment?token=" + testToken, nil, 404},
		{"PUT", web + "?token=" + testToken, nil, 405},
		{"GET", web + "?token=" + testToken, nil, 200},
		{"GET", web, basic, 200},
		{"HEAD", web, basic, 200},
		{"GET", "/api/healthz/shop/deployment/nope", basic, 404},
		{"GET", web, basic, 429},
	}
	for _, rq := range requests {
		twin := strings.Replace(rq.path, "healthz", "health", 1) // /healthz → /health, /api/healthz/ → /api/health/
		want, wantBody := do(t, rq.method, healthz.url+rq.path, rq.header)
		got, gotBody := do(t, rq.method, health.url+twin, rq.header)
		require.Equal(t, rq.wantCode, want.StatusCode, "%s %s: %s", rq.method, rq.path, wantBody)
		assert.Equal(t, want.StatusCode, got.StatusCode, "%s %s", rq.method, twin)
		assert.Equal(t, string(wantBody), strings.ReplaceAll(string(gotBody), "/api/health/", "/api/healthz/"), "%s %s", rq.method, twin)
		for _, h := range []string{"Date", "Content-Length"} { // the bodies are compared above
			want.Header.Del(h)
			got.Header.Del(h)
		}
		assert.Equal(t, want.Header, got.Header, "%s %s", rq.method, twin)
	}
	for _, kind := range []string{KindDeployment, kindUnknown} {
		for _, code := range []string{"200", "401", "403", "404", "405", "429"} {
			assert.InDelta(t, counterValue(t, healthz.reg, kind, code), counterValue(t, health.reg, kind, code), 0, "%s %s", kind, code)
		}
	}
	assert.InDelta(t, 3, counterValue(t, health.reg, KindDeployment, "200"), 0, "/api/health/ requests are counted")
}
