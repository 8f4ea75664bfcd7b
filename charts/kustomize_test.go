package charts_test

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

// manifestsDir is the kustomize tree the chart reproduces.
const manifestsDir = "../manifests"

// TestChartMatchesKustomize renders the chart with default values and with each
// toggle, and compares it object by object, field by field, with what kustomize
// renders from manifests/ and the matching overlay; the only difference allowed is
// Helm's labels on the chart's objects.
func TestChartMatchesKustomize(t *testing.T) {
	cases := []struct {
		name string
		vals map[string]any
		// resources and components of a kustomization, relative to manifests/.
		resources, components []string
	}{
		{"default", nil, []string{"."}, nil},
		{"builtin-certs", toggles["builtin-certs"], []string{"overlays/builtin-certs"}, nil},
		{"repair", toggles["repair"], []string{"."}, []string{"overlays/repair"}},
		{"networkpolicy", toggles["networkpolicy"], []string{".", "networkpolicy"}, nil},
		{"monitoring", toggles["monitoring"], []string{".", "monitoring"}, nil},
		{"agents", toggles["agents"], []string{"overlays/agents"}, nil},
		{"all", allToggles(), []string{"overlays/builtin-certs", "networkpolicy", "monitoring", "agents"}, []string{"overlays/repair"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := install.RenderForTest(t, kustomization(t, c.resources, c.components))
			got := render(t, c.vals)
			assertSameObjects(t, want, got)
		})
	}
}

// kustomization writes a kustomization of manifests/ directories and returns its
// directory.
func kustomization(t *testing.T, resources, components []string) string {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(manifestsDir)
	require.NoError(t, err)
	rel, err := filepath.Rel(dir, abs)
	require.NoError(t, err)
	list := func(key string, paths []string) string {
		if len(paths) == 0 {
			return ""
		}
		var b strings.Builder
		b.WriteString(key + ":\n")
		for _, p := range paths {
			b.WriteString("  - " + filepath.Join(rel, p) + "\n")
		}
		return b.String()
	}
	k := list("resources", resources) + list("components", components)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644))
	return dir
}

// assertSameObjects compares the chart's objects with kustomize's by kind,
// namespace and name, after taking Helm's labels off the chart's.
func assertSameObjects(t *testing.T, want, got []*unstructured.Unstructured) {
	t.Helper()
	byKey := func(objs []*unstructured.Unstructured) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, o := range objs {
			k := objectKey(o)
			require.NotContains(t, m, k, "two objects %s", k)
			m[k] = o.Object
		}
		return m
	}
	stripped := make([]*unstructured.Unstructured, 0, len(got))
	for _, o := range got {
		stripped = append(stripped, withoutHelmLabels(t, o))
	}
	w, g := byKey(want), byKey(stripped)
	assert.Equal(t, sortedKeys(w), sortedKeys(g), "the same objects")
	for k, wo := range w {
		if gobj, ok := g[k]; ok {
			assert.Equal(t, wo, gobj, k)
		}
	}
}

// withoutHelmLabels is o without helmLabels, each of which it must carry.
func withoutHelmLabels(t *testing.T, o *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	o = o.DeepCopy()
	labels := o.GetLabels()
	for _, l := range helmLabels {
		require.Contains(t, labels, l, "%s lacks Helm's label", objectKey(o))
		delete(labels, l)
	}
	o.SetLabels(labels)
	return o
}

func objectKey(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + cmp.Or(o.GetNamespace(), "-") + "/" + o.GetName()
}

func sortedKeys(m map[string]map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// chartFiles are the chart's copies of manifests/ files (a chart cannot read
// outside its directory), by their path in the chart.
var chartFiles = map[string]string{
	"files/prometheusrule.yaml":        "monitoring/prometheusrule.yaml",
	"files/dashboard-meshprobe.json":   "monitoring/dashboards/meshprobe.json",
	"files/agents-daemonset.yaml":      "agents/daemonset.yaml",
	"files/agents-serviceaccount.yaml": "agents/serviceaccount.yaml",
}

// TestChartFilesAreCopies checks the chart's copies against their sources;
// -update copies them again.
func TestChartFilesAreCopies(t *testing.T) {
	for copyPath, src := range chartFiles {
		want, err := os.ReadFile(filepath.Join(manifestsDir, src))
		require.NoError(t, err)
		dst := filepath.Join(chartDir, copyPath)
		if *update {
			require.NoError(t, os.WriteFile(dst, want, 0o644))
		}
		got, err := os.ReadFile(dst)
		require.NoError(t, err)
		assert.True(t, string(want) == string(got), "%s differs from manifests/%s: go test ./charts -update", dst, src)
	}
}
