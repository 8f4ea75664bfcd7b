package charts_test

import (
	"flag"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

// update regenerates values.yaml's list of flags and the chart's copies of the
// monitoring files.
var update = flag.Bool("update", false, "regenerate values.yaml's flags and the chart's files/ from the sources")

const (
	chartDir = "meshprobe"
	// releaseNamespace is where the README installs the release.
	releaseNamespace = "meshprobe-system"
)

// helmLabels are the labels the chart adds to manifests/' (templates/_helpers.tpl,
// meshprobe.helmLabels), and the only difference the comparison allows.
var helmLabels = []string{
	"helm.sh/chart",
	"app.kubernetes.io/managed-by",
	"app.kubernetes.io/instance",
	"app.kubernetes.io/version",
}

// kubeVersion is the Kubernetes version lint and client-side rendering assume (the
// chart's kubeVersion wants 1.30+; Helm's default in tests is 1.20).
var kubeVersion = &common.KubeVersion{Version: "v1.37.0", Major: "1", Minor: "37"}

// render renders the chart as `helm template` does, with vals over values.yaml.
func render(t *testing.T, vals map[string]any) []*unstructured.Unstructured {
	t.Helper()
	objs, err := renderErr(t, vals)
	require.NoError(t, err)
	return objs
}

func renderErr(t *testing.T, vals map[string]any) ([]*unstructured.Unstructured, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	require.NoError(t, err)
	inst := action.NewInstall(action.NewConfiguration())
	inst.DryRunStrategy = action.DryRunClient
	inst.ReleaseName = "meshprobe"
	inst.Namespace = releaseNamespace
	inst.Replace = true
	inst.KubeVersion = kubeVersion
	rel, err := inst.RunWithContext(t.Context(), ch, vals)
	if err != nil {
		return nil, err
	}
	r, ok := rel.(*releasev1.Release)
	require.True(t, ok, "release type %T", rel)
	require.Empty(t, r.Hooks, "the chart has no hooks")
	return install.Decode([]byte(r.Manifest))
}

// toggles are the values that switch each overlay on.
var toggles = map[string]map[string]any{
	"builtin-certs": {"certificates": map[string]any{"mode": "builtin"}},
	"repair":        {"repair": map[string]any{"enabled": true}},
	"networkpolicy": {"networkPolicy": map[string]any{"enabled": true}},
	"monitoring":    {"monitoring": map[string]any{"enabled": true}},
	"agents":        {"agents": map[string]any{"enabled": true}},
}

// allToggles is every toggle on at once.
func allToggles() map[string]any {
	vals := map[string]any{}
	for _, v := range toggles {
		maps.Copy(vals, v)
	}
	return vals
}
