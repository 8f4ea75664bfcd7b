package monitoring

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// targetLabels are the labels both scrape configurations must give every target.
var targetLabels = []model.LabelName{"job", "namespace", "pod", "node", "app", "instance"}

// sameTargets: the PodMonitor translation and the plain scrape configuration discover
// the same targets with the same labels.
func sameTargets(t *testing.T, prom *promtest.Server) {
	key := func(m model.Metric) string {
		var parts []string
		for _, l := range targetLabels {
			parts = append(parts, string(l)+"="+string(m[l]))
		}
		return strings.Join(parts, ",")
	}
	sets := map[string][]string{}
	for _, src := range []string{"", "podmonitor"} {
		v, err := prom.Instant(t.Context(), `up{job=~"meshprobe-.*", scrape_source="`+src+`"}`)
		require.NoError(t, err)
		for _, s := range v {
			sets[src] = append(sets[src], key(s.Metric))
		}
		sort.Strings(sets[src])
	}
	assert.NotEmpty(t, sets[""])
	assert.Equal(t, sets[""], sets["podmonitor"])
	for _, k := range sets[""] {
		if strings.Contains(k, "job=meshprobe-sidecar") || strings.Contains(k, "job="+agentJob) {
			assert.NotContains(t, k, "node=,", k)
			assert.NotContains(t, k, "app=,", k)
		}
	}
}

// dashboardReturnsData evaluates every panel query with the variables on "All" and
// requires at least one series with a finite value.
func dashboardReturnsData(t *testing.T, ctx context.Context, prom *promtest.Server) {
	for _, q := range dashboardQueries(t) {
		expr := expandVariables(q.Expr)
		t.Run(q.Panel, func(t *testing.T) {
			assert.NotContains(t, expr, "$", "unexpanded variable")
			v, err := waitFinite(ctx, prom, expr)
			require.NoError(t, err, expr)
			t.Logf("%d series, e.g. %s", len(v), v[0])
		})
	}
}

// variablesReturnValues: each label_values variable finds values of its label.
func variablesReturnValues(t *testing.T, ctx context.Context, prom *promtest.Server) {
	for _, v := range dashboardVariables(t) {
		sel := expandVariables(v.Selector)
		vals, _, _, err := prom.API.LabelValues(ctx, v.Label, []string{sel}, time.Now().Add(-10*time.Minute), time.Now())
		require.NoError(t, err, v.Name)
		assert.NotEmpty(t, vals, "variable %s: label_values(%s, %s)", v.Name, sel, v.Label)
		t.Logf("$%s: %v", v.Name, vals)
	}
}

// recordedSeriesExist: every recording rule produces finite series.
func recordedSeriesExist(t *testing.T, ctx context.Context, prom *promtest.Server) {
	for _, g := range ruleGroups(t) {
		for _, r := range g.Rules {
			if r.Record == "" {
				continue
			}
			t.Run(r.Record, func(t *testing.T) {
				_, err := waitFinite(ctx, prom, r.Record)
				assert.NoError(t, err)
			})
		}
	}
}

// alertsEvaluate: every alert expression evaluates without error, and every series it
// reads exists (the condition itself is legitimately empty on a healthy system).
func alertsEvaluate(t *testing.T, ctx context.Context, prom *promtest.Server) {
	for _, g := range ruleGroups(t) {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			t.Run(r.Alert, func(t *testing.T) {
				_, err := prom.Instant(ctx, r.Expr)
				require.NoError(t, err)
				sels := selectors(r.Expr)
				require.NotEmpty(t, sels, "no selector found in %s", r.Expr)
				for _, sel := range sels {
					err := waitSeries(ctx, prom, sel)
					assert.NoError(t, err, "selector %s", sel)
				}
			})
		}
	}
}

// rulesHealthy: Prometheus loaded every rule and evaluated each without error.
func rulesHealthy(t *testing.T, prom *promtest.Server) {
	res, err := prom.API.Rules(t.Context(), nil)
	require.NoError(t, err)
	n := 0
	for _, g := range res.Groups {
		for _, r := range g.Rules {
			n++
			switch r := r.(type) {
			case promv1.AlertingRule:
				assert.Equal(t, promv1.RuleHealth(promv1.RuleHealthGood), r.Health, "%s: %s", r.Name, r.LastError)
			case promv1.RecordingRule:
				assert.Equal(t, promv1.RuleHealth(promv1.RuleHealthGood), r.Health, "%s: %s", r.Name, r.LastError)
			default:
				t.Errorf("unexpected rule type %T", r)
			}
		}
	}
	want := 0
	for _, g := range ruleGroups(t) {
		want += len(g.Rules)
	}
	assert.Equal(t, want, n, "rules loaded")
}

// expectedAlerts: the failing check and the expiring certificate raise their alerts
// (pending, as `for:` has not passed), and a healthy control plane raises none.
func expectedAlerts(t *testing.T, ctx context.Context, prom *promtest.Server) {
	for _, sel := range []string{
		`ALERTS{alertname="MeshprobeCheckFailing", check="db", namespace="shop", app="cart"}`,
		`ALERTS{alertname="MeshprobeTLSCertificateExpiringSoon", check="payments-tls", app="frontend"}`,
		`ALERTS{alertname="MeshprobeTLSCertificateExpiring", check="payments-tls", app="frontend"}`,
	} {
		err := waitSeries(ctx, prom, sel)
		assert.NoError(t, err, sel)
	}
	for _, name := range []string{"MeshprobeNoLeader", "MeshprobeMultipleLeaders", "MeshprobeControlPlaneDown",
		"MeshprobeWebhookErrors", "MeshprobeSidecarsDown", "MeshprobeAgentDown", "MeshprobeChecksConfigInvalid", "MeshprobeMeshPartitioned",
		"MeshprobeThousandEyesSyncFailing", "MeshprobeThousandEyesAPIErrors", "MeshprobeRTTHigh"} {
		// Startup (joins, the first probes) may raise one briefly; it must clear.
		err := waitNone(ctx, prom, `ALERTS{alertname="`+name+`"}`)
		assert.NoError(t, err, "%s stays active on a healthy system", name)
	}
}

// controlPlaneActivity: what drive made the control plane do is visible in Prometheus:
// the ThousandEyes test was created in the fake, the heartbeats and admissions counted,
// one leader.
func controlPlaneActivity(t *testing.T, ctx context.Context, prom *promtest.Server) {
	for _, expr := range []string{
		`sum(meshprobe_thousandeyes_managed_tests) == 1`,
		`sum(meshprobe_thousandeyes_operations_total{op="create", result="success"}) >= 1`,
		`sum(meshprobe_thousandeyes_api_requests_total{method="POST", code=~"2.."}) >= 1`,
		`sum(meshprobe_heartbeat_requests_total) >= 2`,
		`sum(meshprobe_webhook_admissions_total{result="injected", reason="injected"}) >= 1`,
		`sum(meshprobe_webhook_admissions_total{result="skipped", reason="host-network"}) >= 1`,
		`sum(meshprobe_leader) == 1`,
	} {
		assert.NoError(t, waitSeries(ctx, prom, expr), expr)
	}
}
