package dashrender

import (
	"context"
	"image"
	"image/color"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// staticQuerier answers every query with fixed data, so drawing can be tested without
// a server; the Prometheus-backed path is covered by manifests/monitoring's test.
type staticQuerier struct {
	vector model.Vector
	matrix model.Matrix
	exprs  []string
}

func (q *staticQuerier) Instant(_ context.Context, expr string) (model.Vector, error) {
	q.exprs = append(q.exprs, expr)
	return q.vector, nil
}

func (q *staticQuerier) Range(_ context.Context, expr string, _, _ time.Duration) (model.Matrix, error) {
	q.exprs = append(q.exprs, expr)
	return q.matrix, nil
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"namespace": "shop", "node": "n1", "app": ".*"}
	got := Expand(`rate(x{namespace=~"$namespace", node=~"${node}", app=~"$app"}[$__rate_interval])`, vars, "1m")
	assert.Equal(t, `rate(x{namespace=~"shop", node=~"n1", app=~".*"}[1m])`, got)
}

func TestLegend(t *testing.T) {
	m := model.Metric{"peer_app": "cart", "same_node": "true"}
	assert.Equal(t, "p99 cart same=true", legend("p99 {{peer_app}} same={{ same_node }}", m))
	assert.Equal(t, m.String(), legend("", m))
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{0.000250, "s", "250 µs"}, {0.0125, "s", "12.5 ms"}, {2, "s", "2 s"},
		{0.253, "percentunit", "25.3%"}, {1500, "short", "1.5k"}, {3.5, "reqps", "3.5 req/s"}, {89.6, "d", "90 days"},
	} {
		assert.Equal(t, tc.want, formatValue(tc.v, tc.unit))
	}
}

func TestBucketRowsDeaccumulatesAndTrims(t *testing.T) {
	at := time.Unix(1000, 0)
	mk := func(le string, v float64) series {
		return series{labels: model.Metric{"le": model.LabelValue(le)}, t: []time.Time{at}, v: []float64{v}}
	}
	les, rows, cols := bucketRows([]series{mk("0.001", 0), mk("0.0005", 0), mk("0.002", 4), mk("0.004", 10), mk("+Inf", 10)})
	assert.Equal(t, []float64{0.002, 0.004}, les, "empty buckets at both ends are trimmed")
	assert.Equal(t, [][]float64{{4}, {6}}, rows)
	assert.Equal(t, 1, cols)
}

func TestRenderPanels(t *testing.T) {
	now := model.TimeFromUnixNano(time.Now().UnixNano())
	q := &staticQuerier{
		vector: model.Vector{{Metric: model.Metric{"src": "shop/cart", "dst": "shop/web"}, Value: 0.0004, Timestamp: now}},
		matrix: model.Matrix{{Metric: model.Metric{"state": "alive"}, Values: []model.SamplePair{{Timestamp: now - 5000, Value: 3}, {Timestamp: now, Value: 4}}}},
	}
	steps := []step{{Color: "green"}, {Color: "red", Value: ptr(0.01)}}
	for _, p := range []Panel{
		{Type: "timeseries", Title: "members", GridPos: GridPos{W: 12, H: 8}, Targets: []Target{{Expr: `m{namespace=~"$namespace"}`, LegendFormat: "{{state}}"}}},
		{Type: "table", Title: "matrix", GridPos: GridPos{W: 12, H: 8}, Targets: []Target{{Expr: "x"}},
			Transformations: []transformation{{ID: "groupingToMatrix", Options: map[string]any{"rowField": "src", "columnField": "dst"}}}},
		{Type: "stat", Title: "stat", GridPos: GridPos{W: 4, H: 6}, Targets: []Target{{Expr: "x"}}},
	} {
		p.FieldConfig.Defaults.Thresholds.Steps = steps
		img, err := RenderPanel(t.Context(), q, p, Options{Vars: map[string]string{"namespace": ".*"}})
		require.NoError(t, err, p.Title)
		assert.Equal(t, image.Pt(p.GridPos.W*80, p.GridPos.H*32), img.Bounds().Size())
		assert.True(t, hasColour(img, namedColors["green"]) || hasColour(img, palette[0]), "%s: nothing drawn in the series/threshold colour", p.Title)
	}
	assert.Contains(t, q.exprs, `m{namespace=~".*"}`, "variables are substituted before querying")
}

func TestRenderNoData(t *testing.T) {
	img, err := RenderPanel(t.Context(), &staticQuerier{}, Panel{Type: "heatmap", Title: "empty", GridPos: GridPos{W: 6, H: 6}, Targets: []Target{{Expr: "x"}}}, Options{})
	require.NoError(t, err)
	assert.False(t, hasColour(img, scheme(1)))
	_, err = RenderPanel(t.Context(), &staticQuerier{}, Panel{Type: "piechart", GridPos: GridPos{W: 6, H: 6}}, Options{})
	assert.ErrorContains(t, err, "unsupported panel type")
}

func hasColour(img *image.RGBA, want color.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) == want {
				return true
			}
		}
	}
	return false
}

func ptr(f float64) *float64 { return &f }

// TestMergedTable: a table with Grafana's merge transformation shows one row per
// label set with a value column per query, named as organize renames
// "Value #<refId>", as the node agents' p50/p99 panel needs.
func TestMergedTable(t *testing.T) {
	p := Panel{Type: "table", Targets: []Target{{Expr: "p50", RefID: "A"}, {Expr: "p99", RefID: "B"}},
		Transformations: []transformation{
			{ID: "merge", Options: map[string]any{}},
			{ID: "organize", Options: map[string]any{"excludeByName": map[string]any{"Time": true}, "renameByName": map[string]any{"Value #A": "p50"}}},
		}}
	p.FieldConfig.Defaults.Unit = "s"
	refIDs, names, ok := p.mergedValueColumns()
	require.True(t, ok)
	assert.Equal(t, []string{"A", "B"}, refIDs)
	assert.Equal(t, []string{"p50", "Value #B"}, names, "renamed, else Grafana's default name")

	pair := func(ref, node, peer string, v float64) series {
		return series{refID: ref, labels: model.Metric{"__name__": "x", "node": model.LabelValue(node), "peer_node": model.LabelValue(peer)}, v: []float64{v}}
	}
	cols, rows := mergedRows(p, []series{pair("A", "b", "a", 0.002), pair("B", "a", "b", 0.009), pair("A", "a", "b", 0.001)}, refIDs)
	assert.Equal(t, []string{"node", "peer_node"}, cols)
	text := func(r []cell) []string {
		var out []string
		for _, c := range r {
			out = append(out, c.text)
		}
		return out
	}
	require.Len(t, rows, 2, "one row per node pair")
	assert.Equal(t, []string{"a", "b", "1 ms", "9 ms"}, text(rows[0]))
	assert.Equal(t, []string{"b", "a", "2 ms", "-"}, text(rows[1]), "no p99 series for b -> a")

	_, _, ok = Panel{Targets: p.Targets, Transformations: p.Transformations[1:]}.mergedValueColumns()
	assert.False(t, ok, "no merge transformation")
}
