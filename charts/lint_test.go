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
			l := action.NewLint()
			l.Strict = true
			l.Namespace = releaseNamespace
			l.KubeVersion = kubeVersion
			res := l.Run([]string{chartDir}, cases[name])
			assert.Equal(t, 1, res.TotalChartsLinted)
			assert.Empty(t, res.Errors)
			for _, m := range res.Messages {
				t.Logf("lint: %s", m)
			}
		})
	}
}
