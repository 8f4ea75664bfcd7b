package charts_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"helm.sh/helm/v4/pkg/action"
)

// TestLint runs Helm's lint (what `helm lint --strict` runs) with the default
// values and with each toggle on.
func TestLint(t *testing.T) {
	cases := map[string]map[string]any{"default": nil, "all": allToggles()}
	maps.Copy(cases, toggles)
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		t.Run(name, func(t *testing.T) {
			res := lint(cases[name])
			assert.Equal(t, 1, res.TotalChartsLinted)
			assert.Empty(t, res.Errors)
			for _, m := range res.Messages {
				t.Logf("lint: %s", m)
			}
		})
	}
	t.Run("refuses an unknown certificate mode", func(t *testing.T) {
		assert.NotEmpty(t, lint(map[string]any{"certificates": map[string]any{"mode": "self-signed"}}).Errors)
	})
}

// lint runs `helm lint --strict` on the chart with vals.
func lint(vals map[string]any) *action.LintResult {
	l := action.NewLint()
	l.Strict = true
	l.Namespace = releaseNamespace
	l.KubeVersion = kubeVersion
	return l.Run([]string{chartDir}, vals)
}
