package dashboard

import (
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the dashboard JSON in manifests/monitoring/dashboards")

const (
	dashboardFile = "../../../manifests/monitoring/dashboards/meshprobe.json"
	configMapFile = "../../../manifests/monitoring/grafana-dashboard-configmap.yaml"
)

// TestFilesAreGenerated keeps the shipped JSON and ConfigMap equal to the generator's
// output.
func TestFilesAreGenerated(t *testing.T) {
	dash, err := JSON(Meshprobe())
	require.NoError(t, err)
	cm, err := ConfigMap(dash)
	require.NoError(t, err)
	for file, got := range map[string][]byte{dashboardFile: dash, configMapFile: cm} {
		if *update {
			require.NoError(t, os.WriteFile(file, got, 0o644))
		}
		want, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s is stale: run go test ./internal/docgen/dashboard -update", file)
	}
}

// TestConfigMapCarriesDashboard decodes the ConfigMap as Kubernetes would.
func TestConfigMapCarriesDashboard(t *testing.T) {
	dash, err := JSON(Meshprobe())
	require.NoError(t, err)
	raw, err := ConfigMap(dash)
	require.NoError(t, err)
	var cm corev1.ConfigMap
	require.NoError(t, yaml.UnmarshalStrict(raw, &cm))
	assert.Equal(t, "ConfigMap", cm.Kind)
	assert.Equal(t, "1", cm.Labels["grafana_dashboard"])
	assert.JSONEq(t, string(dash), cm.Data[ConfigMapFile])
}

// TestDashboardStructure checks what Grafana needs and what users were promised.
func TestDashboardStructure(t *testing.T) {
	d := Meshprobe()
	raw, err := JSON(d)
	require.NoError(t, err)
	t.Run("no hard-coded datasource uid", func(t *testing.T) {
		var uids []string
		collectUIDs(t, raw, &uids)
		for _, uid := range uids {
			assert.Contains(t, []string{"${datasource}", "-- Grafana --"}, uid)
		}
		assert.NotEmpty(t, uids)
	})
	t.Run("variables", func(t *testing.T) {
		var names []string
		for _, v := range d.Templating.List {
			names = append(names, v.Name)
		}
		assert.Equal(t, []string{"datasource", "namespace", "app", "node"}, names)
	})
	t.Run("panels", func(t *testing.T) {
		ids := map[int]bool{}
		for _, p := range d.Panels {
			assert.False(t, ids[p.ID], "duplicate panel id %d", p.ID)
			ids[p.ID] = true
			assert.LessOrEqual(t, p.GridPos.X+p.GridPos.W, gridWidth, p.Title)
			if p.Type == "row" {
				continue
			}
			assert.NotEmpty(t, p.Description, p.Title)
			require.NotEmpty(t, p.Targets, p.Title)
			for _, tg := range p.Targets {
				assert.NotEmpty(t, tg.RefID, p.Title)
				assert.Equal(t, promDatasource, tg.Datasource, p.Title)
			}
		}
	})
	t.Run("no overlapping panels", func(t *testing.T) {
		for i, a := range d.Panels {
			for _, b := range d.Panels[i+1:] {
				assert.False(t, overlap(a.GridPos, b.GridPos), "%q overlaps %q", a.Title, b.Title)
			}
		}
	})
	t.Run("mesh and check panels honour the variables", func(t *testing.T) {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if !regexp.MustCompile(`meshprobe_(gossip|check)|node_peer|app_peer|node_check`).MatchString(tg.Expr) {
					continue
				}
				if regexp.MustCompile(`^(zone|node|agent_node)_pair:`).MatchString(tg.Expr) {
					continue // the cluster-wide matrices, computed once for the whole mesh
				}
				assert.Contains(t, tg.Expr, `namespace=~"$namespace"`, p.Title)
				assert.Contains(t, tg.Expr, `app=~"$app"`, p.Title)
			}
		}
	})
	t.Run("promised panels", func(t *testing.T) {
		var types []string
		for _, p := range d.Panels {
			types = append(types, p.Type+":"+p.Title)
		}
		joined := strings.Join(types, "\n")
		for _, want := range []string{"heatmap:RTT distribution", "table:p99 RTT: zone to zone", "table:p99 RTT: node to node", "table:RTT p50 / p99: node to node (node agents)",
			"timeseries:RTT p99 by source node", "table:Check status",
			"bargauge:TLS certificate", "timeseries:Members by state", "stat:Leaders"} {
			assert.Contains(t, joined, want)
		}
	})
}

func overlap(a, b GridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// collectUIDs gathers every "uid" value under any "datasource" object in the JSON.
func collectUIDs(t *testing.T, raw []byte, out *[]string) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	var walk func(any, bool)
	walk = func(v any, inDS bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if inDS && k == "uid" {
					*out = append(*out, c.(string))
				}
				walk(c, k == "datasource")
			}
		case []any:
			for _, c := range x {
				walk(c, false)
			}
		}
	}
	walk(v, false)
}
