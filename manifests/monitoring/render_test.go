package monitoring

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/docgen/dashrender"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// renderedPanels are the panels drawn one by one for docs/, by title, with file names.
var renderedPanels = map[string]string{
	"RTT distribution":                          "rtt-heatmap.png",
	"RTT p50 / p95 / p99 by peer namespace":     "rtt-quantiles-by-peer.png",
	"RTT same node / same zone / cross zone":    "rtt-locality.png",
	"RTT p99 by source node":                    "rtt-by-node.png",
	"p99 RTT: zone to zone":                     "rtt-zone-matrix.png",
	"p99 RTT: node to node":                     "rtt-node-matrix.png",
	"RTT p50 / p99: node to node (node agents)": "rtt-agent-node-pairs.png",
	"Check status":                              "check-status.png",
	"TLS certificate: days left":                "tls-days-left.png",
	"Admissions/s by result and reason":         "admissions.png",
	"ThousandEyes API requests/s by code":       "thousandeyes-api.png",
}

// renderDashboard draws the whole dashboard and its main panels from the running
// Prometheus into dir, after collecting data for wait while the control plane keeps
// working (admissions, heartbeats, ThousandEyes updates).
func renderDashboard(t *testing.T, prom *promtest.Server, cp *controlPlane, dir string, wait time.Duration) {
	t.Helper()
	if wait > 0 {
		t.Logf("collecting data for %s before rendering", wait)
		cp.keepBusy(t, wait)
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	d, err := dashrender.ParseDashboard(readFile(t, dashboardFile))
	require.NoError(t, err)
	opts := dashrender.Options{
		Vars:         map[string]string{"namespace": variableAllRex, "app": variableAllRex, "node": variableAllRex},
		RateInterval: rateInterval,
		// The recorded 5m rates ramp up during their first 5 minutes: show what follows.
		Window: max(2*time.Minute, wait-5*time.Minute),
		Step:   2 * time.Second,
	}
	img, err := dashrender.RenderDashboard(t.Context(), prom, d, opts)
	require.NoError(t, err)
	require.NoError(t, dashrender.WritePNG(filepath.Join(dir, "dashboard.png"), img))
	drawn := 0
	for _, p := range d.Panels {
		name, ok := renderedPanels[p.Title]
		if !ok {
			continue
		}
		p.GridPos.H = max(p.GridPos.H, 9)
		img, err := dashrender.RenderPanel(t.Context(), prom, p, opts)
		require.NoError(t, err, p.Title)
		require.NoError(t, dashrender.WritePNG(filepath.Join(dir, name), img))
		drawn++
	}
	require.Equal(t, len(renderedPanels), drawn, "a rendered panel's title changed")
	t.Logf("rendered the dashboard into %s", dir)
}
