package checks

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// httpTarget serves the paths the http check tests use.
func httpTarget(t *testing.T) *httptest.Server {
	t.Helper()
	var flaky atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "status: ok\n") })
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "broken", http.StatusInternalServerError) })
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/hang", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, pass, _ := r.BasicAuth()
		fmt.Fprintf(w, "method=%s probe=%s host=%s body=%s user=%s pass=%s auth=%s ua=%s",
			r.Method, r.Header.Get("X-Probe"), r.Host, body, user, pass, r.Header.Get("Authorization"), r.UserAgent())
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, _ *http.Request) {
		if flaky.Add(1) <= 2 {
			http.Error(w, "not yet", http.StatusServiceUnavailable)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPCheck(t *testing.T) {
	srv := httpTarget(t)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(pwFile, []byte("s3cret\n"), 0o600))
	tokFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokFile, []byte("tok-from-file"), 0o600))
	env := testEnv(map[string]string{"PROBE_PW": "envpw", "PROBE_TOKEN": "tok-from-env"})

	tests := []struct {
		name     string
		spec     string
		result   string
		errHas   string
		status   int
		attempts int
		errLacks string
	}{
		{name: "ok", spec: `url: URL/ok`, result: ResultSuccess, status: 200},
		{name: "wrong status", spec: `url: URL/fail`, result: ResultFailure, status: 500,
			errHas: `status 500 does not match expectStatus "^2..$"`},
		{name: "expected 404", spec: "url: URL/missing\n  expectStatus: '^404$'", result: ResultSuccess, status: 404},
		{name: "body matches", spec: "url: URL/ok\n  expectBody: 'status: (ok|fine)'", result: ResultSuccess, status: 200},
		{name: "body mismatch", spec: "url: URL/ok\n  expectBody: '^degraded'", result: ResultFailure, status: 200,
			errHas: `body does not match expectBody "^degraded"`},
		{name: "refused", spec: "url: http://" + freeport.Addr(t) + "/", result: ResultFailure, errHas: "connection refused"},
		{name: "timeout", spec: "url: URL/hang\n  timeout: 300ms", result: ResultTimeout, errHas: "timed out after 300ms"},
		{name: "follows redirects", spec: `url: URL/redirect`, result: ResultSuccess, status: 200},
		{name: "redirects off", spec: "url: URL/redirect\n  followRedirects: false", result: ResultFailure, status: 302,
			errHas: "status 302"},
		{name: "retries with backoff", spec: "url: URL/flaky\n  retries: 3", result: ResultSuccess, status: 200, attempts: 3},
		{name: "method headers body", spec: "url: URL/echo\n  method: POST\n  body: hello\n  headers: {X-Probe: meshprobe, Host: example.test}\n" +
			"  expectBody: 'method=POST probe=meshprobe host=example.test body=hello .*ua=meshprobe/'", result: ResultSuccess, status: 200},
		{name: "basic auth from file", spec: "url: URL/echo\n  basicAuth: {username: probe, passwordFile: " + pwFile + "}\n  expectBody: 'user=probe pass=s3cret '",
			result: ResultSuccess, status: 200},
		{name: "basic auth from env", spec: "url: URL/echo\n  basicAuth: {username: probe, passwordEnv: PROBE_PW}\n  expectBody: 'pass=envpw '",
			result: ResultSuccess, status: 200},
		{name: "bearer from file", spec: "url: URL/echo\n  bearerTokenFile: " + tokFile + "\n  expectBody: 'auth=Bearer tok-from-file '",
			result: ResultSuccess, status: 200},
		{name: "bearer from env", spec: "url: URL/echo\n  bearerTokenEnv: PROBE_TOKEN\n  expectBody: 'auth=Bearer tok-from-env '",
			result: ResultSuccess, status: 200},
		{name: "missing env secret", spec: "url: URL/echo\n  bearerTokenEnv: NOT_SET", result: ResultFailure,
			errHas: "reading bearerToken: environment variable NOT_SET is not set"},
		{name: "missing secret file", spec: "url: URL/echo\n  bearerTokenFile: /nonexistent/token", result: ResultFailure,
			errHas: "reading bearerToken: open /nonexistent/token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := "- name: c\n  type: http\n  interval: 10s\n  " + strings.ReplaceAll(tc.spec, "URL", srv.URL)
			rec := runSpec(t, spec, env)
			assert.Equal(t, tc.result, rec.result, "err: %v", rec.err)
			assert.Equal(t, tc.status, rec.obs.httpStatus)
			if tc.errHas == "" {
				assert.NoError(t, rec.err)
			} else {
				require.Error(t, rec.err)
				assert.Contains(t, rec.err.Error(), tc.errHas)
			}
			if tc.attempts > 0 {
				assert.Equal(t, tc.attempts, rec.attempts)
			}
		})
	}
}

func TestHTTPCheckTLS(t *testing.T) {
	pki := newTestPKI(t)
	good := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	good.Config.ErrorLog = log.New(io.Discard, "", 0)
	good.TLS = tlsServerConfig(pki.validCert(t))
	good.StartTLS()
	t.Cleanup(good.Close)
	expired := httptest.NewUnstartedServer(good.Config.Handler)
	expired.Config.ErrorLog = log.New(io.Discard, "", 0)
	expired.TLS = tlsServerConfig(pki.expiredCert(t))
	expired.StartTLS()
	t.Cleanup(expired.Close)
	localhostURL := strings.Replace(good.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name   string
		spec   string
		result string
		errHas string
	}{
		{"unknown CA", "url: " + good.URL, ResultFailure, "certificate signed by unknown authority"},
		{"CA file", "url: " + good.URL + "\n  tls: {caFile: " + pki.caFile + "}", ResultSuccess, ""},
		{"CA file by name", "url: " + localhostURL + "\n  tls: {caFile: " + pki.caFile + "}", ResultSuccess, ""},
		{"wrong server name", "url: " + good.URL + "\n  tls: {caFile: " + pki.caFile + ", serverName: other.test}", ResultFailure,
			"certificate is valid for localhost, not other.test"},
		{"verify off", "url: " + good.URL + "\n  tls: {insecureSkipVerify: true}", ResultSuccess, ""},
		{"expired", "url: " + expired.URL + "\n  tls: {caFile: " + pki.caFile + "}", ResultFailure, "certificate has expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := runSpec(t, "- name: c\n  type: http\n  "+tc.spec, testEnv(nil))
			assert.Equal(t, tc.result, rec.result, "err: %v", rec.err)
			if tc.errHas != "" {
				require.Error(t, rec.err)
				assert.Contains(t, rec.err.Error(), tc.errHas)
				return
			}
			require.NoError(t, rec.err)
			assert.WithinDuration(t, time.Now().Add(30*24*time.Hour), rec.obs.certExpiry, 2*time.Hour)
		})
	}
}
