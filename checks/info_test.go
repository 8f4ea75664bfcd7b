package checks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// TestCheckInfoMetric: one meshprobe_check_info series per check, whose label
// names are the union over the checks, "" where unset; the family follows a
// reload, and vanishes with the last check.
func TestCheckInfoMetric(t *testing.T) {
	m, reg, _ := newTestManager(t, Config{}, nil)
	require.NoError(t, m.Reload(`
- {name: api, type: tcp, address: 'x:1', displayName: Shop API "v2", labels: {team: shop, tier: front}}
- {name: db, type: tcp, address: 'x:1', labels: {team: db, severity: page}}
- {name: bare, type: tcp, address: 'x:1'}
`))
	const help = `# HELP meshprobe_check_info 1 per configured check, with its display name and user labels ("" where a check does not set one).
# TYPE meshprobe_check_info gauge
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(help+`
meshprobe_check_info{check="api",display_name="Shop API \"v2\"",severity="",team="shop",tier="front"} 1
meshprobe_check_info{check="bare",display_name="",severity="",team="",tier=""} 1
meshprobe_check_info{check="db",display_name="",severity="page",team="db",tier=""} 1
`), infoName))

	require.NoError(t, m.Reload("- {name: bare, type: tcp, address: 'x:1', displayName: Bare}"))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(help+`
meshprobe_check_info{check="bare",display_name="Bare"} 1
`), infoName))

	require.NoError(t, m.Reload(""))
	assert.Equal(t, 0, gatherCount(t, reg, infoName))
}

// TestCheckMetricLabelsAreReserved: no user label can take the name of a label
// of meshprobe's check metrics, so joining the info metric onto them never
// clashes; the exposition with user labels passes promtool's lint.
func TestCheckMetricLabelsAreReserved(t *testing.T) {
	m, reg, _ := newTestManager(t, Config{}, nil)
	require.NoError(t, m.Reload("- {name: web, type: http, url: 'http://127.0.0.1:1/', labels: {team: a}}"))
	m.runnerSnapshot()["web"].runOnce(t.Context())
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var buf bytes.Buffer
	for _, mf := range mfs {
		for _, metric := range mf.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() != "team" {
					assert.True(t, spec.ReservedLabel(l.GetName()), "%s has label %q, which a user label could take", mf.GetName(), l.GetName())
				}
			}
		}
		_, err := expfmt.MetricFamilyToText(&buf, mf)
		require.NoError(t, err)
	}
	assert.Contains(t, buf.String(), `meshprobe_check_info{check="web",display_name="",team="a"} 1`)
	promtest.CheckMetrics(t, "checks", buf.Bytes())
}

// TestManagerNodePatterns: on a member whose node does not match, a check is
// unscheduled (with the reason in the API, and no meshprobe_check_up), while
// checks whose pattern matches run; the API carries the descriptive fields.
func TestManagerNodePatterns(t *testing.T) {
	target := echoListener(t)
	mesh := &staticMembership{self: "agent-i1", peers: map[string]string{"agent-i1": "infra-1", "agent-w1": "worker-1"}}
	m, reg, _ := newTestManager(t, Config{Namespace: "meshprobe-system", OwnerKind: "DaemonSet",
		OwnerName: "meshprobe-agent", Node: "infra-1"}, mesh)
	require.NoError(t, m.Reload(`
- {name: workers, type: tcp, address: '`+target+`', runOn: worker*, displayName: Every worker, description: "Reach the db\nfrom workers", labels: {team: db}}
- {name: one-worker, type: tcp, address: '`+target+`', runOn: worker$}
- {name: infra, type: tcp, address: '`+target+`', runOn: infra-*}
- {name: anywhere, type: tcp, address: '`+target+`', runOn: $}
`))
	for _, r := range m.runnerSnapshot() {
		r.runOnce(t.Context())
	}
	anywhere := Rendezvous("meshprobe-system/DaemonSet/meshprobe-agent/anywhere", []string{"agent-i1", "agent-w1"})

	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var rep Report
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	require.Len(t, rep.Checks, 4)
	byName := map[string]Status{}
	for _, st := range rep.Checks {
		byName[st.Name] = st
	}

	workers := byName["workers"]
	assert.Equal(t, StateUnscheduled, workers.LastResult)
	assert.Equal(t, "not scheduled here: node infra-1 does not match worker*", workers.Reason)
	assert.Equal(t, "Every worker", workers.DisplayName)
	assert.Equal(t, "Reach the db\nfrom workers", workers.Description)
	assert.Equal(t, map[string]string{"team": "db"}, workers.Labels)
	assert.Equal(t, spec.RunOn("worker*"), workers.RunOn)

	one := byName["one-worker"]
	assert.Equal(t, StateUnscheduled, one.LastResult)
	assert.Equal(t, "agent-w1", one.Runner)
	assert.Equal(t, "not scheduled here: node infra-1 does not match worker$; runs on member agent-w1", one.Reason)

	assert.Equal(t, ResultSuccess, byName["infra"].LastResult)
	assert.Empty(t, byName["infra"].Reason)
	if anywhere == "agent-i1" {
		assert.Equal(t, ResultSuccess, byName["anywhere"].LastResult)
	} else {
		assert.Equal(t, StateStandby, byName["anywhere"].LastResult)
		assert.Equal(t, "standby; runs on member agent-w1", byName["anywhere"].Reason)
	}

	wantUp := 1
	if anywhere == "agent-i1" {
		wantUp = 2
	}
	assert.Equal(t, wantUp, gatherCount(t, reg, "meshprobe_check_up"), "only checks that ran here report up")

	// The matching worker leaves: the one-worker check has no runner; infra-1
	// still does not run it.
	mesh.setNodes(map[string]string{"agent-i1": "infra-1"})
	m.runnerSnapshot()["one-worker"].runOnce(t.Context())
	one = m.Report().Checks[1]
	assert.Equal(t, StateUnscheduled, one.LastResult)
	assert.Empty(t, one.Runner)
	assert.Equal(t, "not scheduled here: node infra-1 does not match worker$; no live member on a matching node", one.Reason)
}
