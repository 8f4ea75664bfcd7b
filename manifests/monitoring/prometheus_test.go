package monitoring

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

var (
	renderDir  = flag.String("render", "", "also draw the dashboard's panels as PNG files into this directory")
	renderWait = flag.Duration("render-wait", 0, "with -render: collect data for this long before drawing")
)

// targetsTimeout bounds the wait until Prometheus scrapes every process.
const targetsTimeout = 90 * time.Second

// TestMonitoringOnRealPrometheus runs a real Prometheus that discovers real meshprobe
// processes through a real API server with the shipped scrape configuration (and the
// PodMonitors' equivalent), loads the shipped rules, and evaluates every expression of
// the dashboard and the rules.
func TestMonitoringOnRealPrometheus(t *testing.T) {
	promtest.Binary(t, "prometheus")
	promtest.Binary(t, "promtool")
	bin := binaries(t, "meshprobe-sidecar", "meshprobe-webhook")
	env := testenv.Start(t)
	logDir := t.TempDir()
	block := loopbackBlock()
	keyDir := writeGossipKey(t)

	cp := startControlPlane(t, env, bin, block, keyDir, logDir)
	members := meshMembers(block, startTargets(t))
	createZonedNodes(t, env.Client)
	for _, m := range members {
		pod := createRunningPod(t, env.Client, sidecarPod(m), m.ip)
		require.Equal(t, nodeZones[m.node], pod.Labels[labelZone], "%s: the zone is copied from its node", m.pod)
		startProcess(t, logDir, m.pod, bin+"/meshprobe-sidecar", nil,
			sidecarEnv(m, cp.gossipAddr, keyDir, podInfo(t, m, pod.Labels)))
	}

	agents := nodeAgents(block)
	startAgents(t, env, bin, logDir, cp.gossipAddr, keyDir, agents)

	for _, d := range decoyPods(members[0]) {
		createRunningPod(t, env.Client, d, members[0].ip)
	}
	createRunningPod(t, env.Client, agentDecoy(t, members[0].namespace, agents[0]), agents[0].ip)

	rules := writeRuleFile(t, t.TempDir())
	promtest.CheckRules(t, rules)
	sd := promtest.KubernetesSD(t, env.Client)
	scrape := append(plainScrapeConfigs(t, sd),
		podMonitorScrapeConfig(t, sidecarPodMon, sd),
		podMonitorScrapeConfig(t, agentPodMon, sd),
		podMonitorScrapeConfig(t, controlPodMon, sd))
	prom := promtest.Start(t, promtest.Config{ScrapeConfigs: scrape, RuleFiles: []string{rules}})

	ctx := t.Context()
	waitTargets(t, ctx, prom, len(members), len(agents))
	cp.drive(t)

	t.Run("promtool check metrics", func(t *testing.T) {
		for _, m := range members {
			checkExposition(t, m.pod, "http://"+m.ip+":"+strconv.Itoa(contract.DefaultHTTPPort)+"/metrics")
		}
		for _, a := range agents {
			checkExposition(t, a.pod, "http://"+a.ip+":"+strconv.Itoa(contract.DefaultHTTPPort)+"/metrics")
		}
		checkExposition(t, "control plane", cp.metricsURL)
	})
	t.Run("podmonitors find the same targets", func(t *testing.T) { sameTargets(t, prom) })
	t.Run("pods that only look like members or agents are not scraped", func(t *testing.T) {
		v, err := prom.Instant(ctx, `up{pod=~"decoy-.*"}`)
		require.NoError(t, err)
		assert.Empty(t, v, "decoy targets")
	})
	t.Run("agents' node-to-node rtt", func(t *testing.T) { agentNodeRTT(t, ctx, prom, agents) })
	t.Run("control-plane work shows in prometheus", func(t *testing.T) { controlPlaneActivity(t, ctx, prom) })
	t.Run("dashboard queries return data", func(t *testing.T) { dashboardReturnsData(t, ctx, prom) })
	t.Run("dashboard variables", func(t *testing.T) { variablesReturnValues(t, ctx, prom) })
	t.Run("recording rules", func(t *testing.T) { recordedSeriesExist(t, ctx, prom) })
	t.Run("rtt rule cost", func(t *testing.T) { rttRuleCost(t, ctx, prom) })
	t.Run("alerts", func(t *testing.T) { alertsEvaluate(t, ctx, prom) })
	t.Run("rules healthy", func(t *testing.T) { rulesHealthy(t, prom) })
	t.Run("alerts that must fire", func(t *testing.T) { expectedAlerts(t, ctx, prom) })
	if *renderDir != "" && !t.Failed() {
		renderDashboard(t, prom, cp, *renderDir, *renderWait)
	}
}

// waitTargets waits until Prometheus scrapes every sidecar, every agent and the
// control plane, by both the plain configuration and the PodMonitor translation.
func waitTargets(t *testing.T, ctx context.Context, prom *promtest.Server, sidecars, agents int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, targetsTimeout)
	defer cancel()
	for _, want := range []struct {
		expr string
		n    int
	}{
		{`up{job="meshprobe-sidecar", scrape_source=""} == 1`, sidecars},
		{`up{job="meshprobe-sidecar", scrape_source="podmonitor"} == 1`, sidecars},
		{`up{job="meshprobe-agent", scrape_source=""} == 1`, agents},
		{`up{job="meshprobe-agent", scrape_source="podmonitor"} == 1`, agents},
		{`up{job="meshprobe-control-plane", scrape_source=""} == 1`, 1},
		{`up{job="meshprobe-control-plane", scrape_source="podmonitor"} == 1`, 1},
	} {
		err := poll(ctx, func() error {
			v, err := prom.Instant(ctx, want.expr)
			if err == nil && len(v) < want.n {
				err = fmt.Errorf("%d of %d targets up", len(v), want.n)
			}
			return err
		})
		require.NoError(t, err, "waiting for %s", want.expr)
	}
}

// checkExposition fetches a /metrics page and runs promtool check metrics on it.
func checkExposition(t *testing.T, name, url string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	require.NoError(t, err, name)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, name)
	assert.Contains(t, string(body), "meshprobe_", name)
	promtest.CheckMetrics(t, name, body)
}
