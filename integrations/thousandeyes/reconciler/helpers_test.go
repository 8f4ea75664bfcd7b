package reconciler

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes/config"
	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

type env struct {
	t   *testing.T
	fk  *tefake.Server
	api *client.Client
	rec *Reconciler
}

// newEnv starts a fake with a one-second rate-limit window and a client paced
// to half of it, so tests run fast but still go through the real limiter.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	fk := tefake.New(tefake.Config{Token: "tok", Window: time.Second})
	srv := httptest.NewServer(fk)
	t.Cleanup(srv.Close)
	api, err := client.New(client.Config{
		BaseURL: srv.URL + "/v7", Token: "tok", Window: time.Second, BudgetShare: 0.5,
		RetryBackoff: 10 * time.Millisecond, MaxJitter: 50 * time.Millisecond, Timeout: 2 * time.Second,
	})
	require.NoError(t, err)
	return &env{t: t, fk: fk, api: api, rec: newRec(t, cfg, api)}
}

// testInstall is the install identity of the tests' reconcilers.
const testInstall = "test-cluster/meshprobe-system"

// newRec returns a reconciler, with testInstall unless cfg names an install.
func newRec(tb testing.TB, cfg Config, api API) *Reconciler {
	tb.Helper()
	if cfg.Install == "" {
		cfg.Install = testInstall
	}
	rec, err := New(cfg, api, slog.New(slog.DiscardHandler))
	require.NoError(tb, err)
	return rec
}

func (e *env) sync(sources ...Source) Result {
	e.t.Helper()
	return e.rec.Sync(e.t.Context(), sources)
}

// calls counts the fake's requests per method since the last ResetLog.
func (e *env) calls() map[string]int {
	out := map[string]int{}
	for _, r := range e.fk.Requests() {
		out[r.Method]++
	}
	return out
}

func (e *env) writes() int {
	c := e.calls()
	return c[http.MethodPost] + c[http.MethodPut] + c[http.MethodDelete]
}

func (e *env) byName() map[string]tefake.Test {
	out := map[string]tefake.Test{}
	for _, t := range e.fk.Tests("") {
		_, dup := out[t.TestName]
		require.False(e.t, dup, "duplicate test %q", t.TestName)
		out[t.TestName] = t
	}
	return out
}

func src(t *testing.T, ns, name, yaml string) Source {
	t.Helper()
	f, err := config.Parse([]byte(yaml))
	require.NoError(t, err)
	return Source{Namespace: ns, Name: name, File: f}
}

// yamlTests renders a config.yaml with n tests named prefix-i.
func yamlTests(prefix string, n int, extra string) string {
	var b strings.Builder
	b.WriteString(extra + "httpTests:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - testName: %s-%d\n    url: https://%s-%d.example.com/healthz\n    interval: 300\n    agents: [\"3\"]\n", prefix, i, prefix, i)
	}
	return b.String()
}
