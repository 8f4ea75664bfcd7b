package promtest

import (
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerScrapesAndEvaluatesRules starts a real Prometheus against an httptest
// exporter and a recording rule, and reads both back through the HTTP API.
func TestServerScrapesAndEvaluatesRules(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "promtest_events_total", Help: "Events."})
	reg.MustRegister(c)
	c.Add(3)
	exporter := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(exporter.Close)
	u, err := url.Parse(exporter.URL)
	require.NoError(t, err)

	rules := filepath.Join(t.TempDir(), "rules.yml")
	require.NoError(t, os.WriteFile(rules, []byte(`groups:
  - name: test
    rules:
      - record: job:promtest_events:sum
        expr: sum by (job) (promtest_events_total)
`), 0o600))
	CheckRules(t, rules)

	srv := Start(t, Config{
		ScrapeConfigs: []map[string]any{{
			"job_name":       "exporter",
			"static_configs": []any{map[string]any{"targets": []string{u.Host}}},
		}},
		RuleFiles: []string{rules},
	})
	ctx := t.Context()
	v, err := srv.WaitForSeries(withTimeout(t, 30*time.Second), `job:promtest_events:sum{job="exporter"}`)
	require.NoError(t, err)
	assert.InDelta(t, 3, float64(v[0].Value), 0)

	// The range ends at a whole second, so the first scrape may fall after it: poll.
	require.Eventually(t, func() bool {
		m, err := srv.Range(ctx, "promtest_events_total", 10*time.Second, time.Second)
		return err == nil && len(m) == 1 && len(m[0].Values) > 0
	}, 10*time.Second, 200*time.Millisecond)

	_, err = srv.Instant(ctx, "sum(")
	assert.Error(t, err, "a malformed query must be reported")
}

// TestPromtool checks that the wrappers pass good input and catch bad input.
func TestPromtool(t *testing.T) {
	Binary(t, "promtool")
	good := "# HELP promtest_events_total Events.\n# TYPE promtest_events_total counter\npromtest_events_total 1\n"
	CheckMetrics(t, "good", []byte(good))

	bad := "# HELP promtest_events Events.\n# TYPE promtest_events counter\npromtest_events 1\n"
	cmd := exec.CommandContext(t.Context(), Binary(t, "promtool"), "check", "metrics")
	cmd.Stdin = strings.NewReader(bad)
	out, err := cmd.CombinedOutput()
	assert.Error(t, err, "a counter without _total must be flagged")
	assert.Contains(t, string(out), "counter metrics should have \"_total\" suffix")
}
