package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	testclock "k8s.io/utils/clock/testing"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestManager returns a Manager with its own registry and captured logs.
func newTestManager(t *testing.T, cfg Config, membership Membership) (*Manager, *prometheus.Registry, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	m, err := NewManager(cfg, membership, slog.New(slog.NewTextHandler(logs, nil)), reg)
	require.NoError(t, err)
	return m, reg, logs
}

// echoListener accepts TCP connections and closes them.
func echoListener(t *testing.T) string {
	return tcpServer(t, func(net.Conn) {})
}

// runsOf is a check's total runs by result, from the Report.
func runsOf(m *Manager, name string) (lastResult string, found bool) {
	for _, c := range m.Report().Checks {
		if c.Name == name {
			return c.LastResult, true
		}
	}
	return "", false
}

// seriesFor lists the metric families that have a series for check.
func seriesFor(t *testing.T, reg *prometheus.Registry, check string) []string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, mf := range mfs {
		for _, metric := range mf.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "check" && l.GetValue() == check {
					names = append(names, mf.GetName())
				}
			}
		}
	}
	return names
}

func TestManagerReload(t *testing.T) {
	target := echoListener(t)
	m, reg, logs := newTestManager(t, Config{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	runDone := make(chan error, 1)

	spec := func(name, extra string) string {
		return fmt.Sprintf("- {name: %s, type: tcp, address: '%s', interval: 1s, timeout: 500ms%s}\n", name, target, extra)
	}
	require.NoError(t, m.Reload(spec("a", "")+spec("b", "")+spec("c", "")))
	go func() { runDone <- m.Run(ctx) }()
	require.Eventually(t, func() bool {
		for _, n := range []string{"a", "b", "c"} {
			if r, _ := runsOf(m, n); r != ResultSuccess {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond)
	assert.NotEmpty(t, seriesFor(t, reg, "c"))
	before := m.runnerSnapshot()

	// a unchanged, b changed, c removed, d new.
	require.NoError(t, m.Reload(spec("a", "")+spec("b", ", retries: 1")+spec("d", "")))
	after := m.runnerSnapshot()
	assert.Same(t, before["a"], after["a"], "an unchanged check keeps running")
	assert.NotSame(t, before["b"], after["b"], "a changed check restarts")
	assert.NotContains(t, after, "c")
	assert.Contains(t, after, "d")
	assert.Empty(t, seriesFor(t, reg, "c"), "a removed check's series vanish")
	assertStopped(t, before["c"])
	assertStopped(t, before["b"])
	assert.Equal(t, []string{"a", "b", "d"}, names(m.Specs()))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.reloadOK))

	// An invalid annotation keeps the last good set.
	err := m.Reload(spec("a", "") + "- {name: x, type: http, url: 'http://x/', expectStatus: '['}")
	require.EqualError(t, err, `loading checks: check "x": field "expectStatus": invalid regex "[": missing closing ]: `+"`[`")
	assert.Equal(t, 0.0, testutil.ToFloat64(m.reloadOK))
	assert.Equal(t, after, m.runnerSnapshot())
	rep := m.Report()
	assert.False(t, rep.LastReloadSuccessful)
	assert.Contains(t, rep.LastReloadError, `check "x": field "expectStatus"`)
	assert.Contains(t, logs.String(), `level=ERROR msg="invalid checks annotation; keeping the last good checks"`)
	assert.Contains(t, logs.String(), `field \"expectStatus\": invalid regex`)
	require.Eventually(t, func() bool { r, _ := runsOf(m, "d"); return r == ResultSuccess }, 5*time.Second, 20*time.Millisecond,
		"the last good set keeps running")

	require.NoError(t, m.Reload(""))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.reloadOK))
	assert.True(t, m.Report().LastReloadSuccessful)
	assert.Empty(t, m.Report().Checks)
	for _, r := range after {
		assertStopped(t, r)
	}

	require.NoError(t, m.Reload(spec("e", "")))
	cancel()
	require.NoError(t, <-runDone)
	assertStopped(t, m.runnerSnapshot()["e"])
}

// runnerSnapshot copies the runner map (tests only).
func (m *Manager) runnerSnapshot() map[string]*runner {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]*runner, len(m.runners))
	for k, v := range m.runners {
		out[k] = v
	}
	return out
}

// assertStopped checks that a runner's loop has ended.
func assertStopped(t *testing.T, r *runner) {
	t.Helper()
	require.NotNil(t, r)
	select {
	case <-r.done:
	case <-time.After(2 * time.Second):
		t.Fatalf("runner %s still running", r.spec.Name)
	}
}

func names(specs []spec.Check) []string {
	out := make([]string, 0, len(specs))
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return out
}

func TestManagerRunTwice(t *testing.T) {
	m, _, _ := newTestManager(t, Config{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	require.Eventually(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.ctx != nil
	}, time.Second, 5*time.Millisecond)
	require.EqualError(t, m.Run(ctx), "checks: manager is already running")
	cancel()
	require.NoError(t, <-done)
}

// TestManagerMetrics drives runs by hand and compares the exposition exactly.
func TestManagerMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	pki := newTestPKI(t)
	certAddr := tlsListener(t, pki.validCert(t))
	now := time.Now()
	m, reg, _ := newTestManager(t, Config{Clock: testclock.NewFakePassiveClock(now)}, nil)
	require.NoError(t, m.Reload(fmt.Sprintf(`
- {name: web, type: http, url: '%[1]s/'}
- {name: down, type: http, url: '%[1]s/down'}
- {name: cert, type: tls, address: '%[2]s', tls: {caFile: '%[3]s'}}
- {name: idle, type: tcp, address: '127.0.0.1:1'}
`, srv.URL, certAddr, pki.caFile)))
	runners := m.runnerSnapshot()
	for _, n := range []string{"web", "web", "down", "cert"} {
		runners[n].runOnce(t.Context())
	}
	expiry := m.Report().Checks[2].CertExpiry
	require.NotNil(t, expiry)
	want := fmt.Sprintf(`
# HELP meshprobe_check_http_status_total HTTP status codes received by http checks, one per run (the last attempt's).
# TYPE meshprobe_check_http_status_total counter
meshprobe_check_http_status_total{check="down",code="503",type="http"} 1
meshprobe_check_http_status_total{check="web",code="200",type="http"} 2
# HELP meshprobe_check_runs_total Check runs by result (success, failure, timeout).
# TYPE meshprobe_check_runs_total counter
meshprobe_check_runs_total{check="cert",result="failure",type="tls"} 0
meshprobe_check_runs_total{check="cert",result="success",type="tls"} 1
meshprobe_check_runs_total{check="cert",result="timeout",type="tls"} 0
meshprobe_check_runs_total{check="down",result="failure",type="http"} 1
meshprobe_check_runs_total{check="down",result="success",type="http"} 0
meshprobe_check_runs_total{check="down",result="timeout",type="http"} 0
meshprobe_check_runs_total{check="idle",result="failure",type="tcp"} 0
meshprobe_check_runs_total{check="idle",result="success",type="tcp"} 0
meshprobe_check_runs_total{check="idle",result="timeout",type="tcp"} 0
meshprobe_check_runs_total{check="web",result="failure",type="http"} 0
meshprobe_check_runs_total{check="web",result="success",type="http"} 2
meshprobe_check_runs_total{check="web",result="timeout",type="http"} 0
# HELP meshprobe_check_tls_cert_expiry_seconds Seconds until the earliest certificate the target served expires (negative once expired).
# TYPE meshprobe_check_tls_cert_expiry_seconds gauge
meshprobe_check_tls_cert_expiry_seconds{check="cert",type="tls"} %v
# HELP meshprobe_check_up 1 if the last run of the check succeeded, else 0; absent until it runs here and on standby replicas of runOn: one checks.
# TYPE meshprobe_check_up gauge
meshprobe_check_up{check="cert",type="tls"} 1
meshprobe_check_up{check="down",type="http"} 0
meshprobe_check_up{check="web",type="http"} 1
# HELP meshprobe_checks_config_last_reload_successful 1 if the last reload of the checks annotation succeeded (and before the first), 0 if it failed and the last good set still runs.
# TYPE meshprobe_checks_config_last_reload_successful gauge
meshprobe_checks_config_last_reload_successful 1
`, expiry.Sub(now).Seconds())
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"meshprobe_check_http_status_total", "meshprobe_check_runs_total", "meshprobe_check_tls_cert_expiry_seconds",
		"meshprobe_check_up", "meshprobe_checks_config_last_reload_successful"))
	assert.Equal(t, 4, gatherCount(t, reg, "meshprobe_check_duration_seconds"))

	// The exposition passes promtool's lint (names, units, help, counters).
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	for _, mf := range mfs {
		_, err := expfmt.MetricFamilyToText(&buf, mf)
		require.NoError(t, err)
	}
	assert.Contains(t, buf.String(), `meshprobe_check_duration_seconds_count{check="web",type="http"} 2`)
	promtest.CheckMetrics(t, "checks", buf.Bytes())
}

func TestManagerHandler(t *testing.T) {
	target := echoListener(t)
	m, _, _ := newTestManager(t, Config{}, nil)
	require.NoError(t, m.Reload("- {name: db, type: tcp, address: '"+target+"'}\n- {name: later, type: tcp, address: '"+target+"'}"))
	m.runnerSnapshot()["db"].runOnce(t.Context())
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var rep Report
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	assert.True(t, rep.LastReloadSuccessful)
	require.Len(t, rep.Checks, 2)
	db := rep.Checks[0]
	assert.Equal(t, "db", db.Name)
	assert.Equal(t, spec.TypeTCP, db.Type)
	assert.Equal(t, ResultSuccess, db.LastResult)
	assert.Empty(t, db.Error)
	assert.Positive(t, db.DurationSeconds)
	require.NotNil(t, db.LastSuccess)
	assert.WithinDuration(t, time.Now(), *db.LastSuccess, 10*time.Second)
	assert.Zero(t, db.ConsecutiveFailures)
	assert.Equal(t, StatePending, rep.Checks[1].LastResult)

	post, err := http.Post(srv.URL, "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, post.Body)
	_ = post.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, post.StatusCode)
}

func TestManagerRunOnOne(t *testing.T) {
	target := echoListener(t)
	mesh := &staticMembership{self: "web-b"}
	m, reg, _ := newTestManager(t, Config{Namespace: "shop", OwnerKind: "Deployment", OwnerName: "web"}, mesh)
	// Find a check name that another replica wins while all three are live.
	var name string
	for i := 0; name == ""; i++ {
		n := fmt.Sprintf("c%d", i)
		if Rendezvous("shop/Deployment/web/"+n, []string{"web-a", "web-b", "web-c"}) == "web-a" {
			name = n
		}
	}
	require.NoError(t, m.Reload("- {name: "+name+", type: tcp, address: '"+target+"', runOn: one}\n- {name: everywhere, type: tcp, address: '"+target+"'}"))
	r := m.runnerSnapshot()
	mesh.set("web-a", "web-b", "web-c")
	r[name].runOnce(t.Context())
	r["everywhere"].runOnce(t.Context())
	st := m.Report().Checks[0]
	assert.Equal(t, StateStandby, st.LastResult)
	assert.Equal(t, "web-a", st.Runner)
	assert.Equal(t, 1, gatherCount(t, reg, "meshprobe_check_up"), "only the runOn: all check reports up here")

	// web-a leaves the mesh: the next run elects a survivor.
	mesh.set("web-b", "web-c")
	winner := Rendezvous("shop/Deployment/web/"+name, []string{"web-b", "web-c"})
	r[name].runOnce(t.Context())
	st = m.Report().Checks[0]
	assert.Equal(t, winner, st.Runner)
	if winner == "web-b" {
		assert.Equal(t, ResultSuccess, st.LastResult)
		assert.Equal(t, 2, gatherCount(t, reg, "meshprobe_check_up"))
	} else {
		assert.Equal(t, StateStandby, st.LastResult)
	}
	mesh.set("web-b")
	r[name].runOnce(t.Context())
	assert.Equal(t, ResultSuccess, m.Report().Checks[0].LastResult)
	assert.Equal(t, "web-b", m.Report().Checks[0].Runner)
}
