package heartbeat

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden verdict files in testdata/verdicts")

// TestVerdictGolden judges each testdata/verdicts/<kind>-<case>.yaml and compares
// the verdict with <kind>-<case>.json. Run with -update to rewrite the golden files.
func TestVerdictGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/verdicts/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(base, func(t *testing.T) {
			c := newStaticCache(t, loadObjects(t, file)...)
			kind, _, _ := strings.Cut(base, "-")
			name := map[string]string{KindDeployment: "web", KindStatefulSet: "db", KindDaemonSet: "agent"}[kind]
			mesh := staticMesh{"shop/Deployment/web": 2}
			got, err := json.MarshalIndent(c.Verdict(Target{Namespace: "shop", Kind: kind, Name: name}, mesh), "", "  ")
			require.NoError(t, err)
			golden := strings.TrimSuffix(file, ".yaml") + ".json"
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create the golden file")
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

func TestVerdictStatus(t *testing.T) {
	tests := []struct {
		file, kind, name string
		mesh             MeshView
		want             Status
		wantReasons      []string
	}{
		{"deployment-healthy", KindDeployment, "web", nil, StatusHealthy, nil},
		{"deployment-crashloop", KindDeployment, "web", nil, StatusDegraded, []string{ReasonCrashLooping}},
		{"deployment-stuck", KindDeployment, "web", nil, StatusDegraded, []string{ReasonProgressDeadlineExceeded}},
		{"deployment-unavailable", KindDeployment, "web", nil, StatusDegraded, []string{ReasonUnavailable}},
		{"deployment-no-conditions", KindDeployment, "web", nil, StatusDegraded, []string{ReasonReplicasUnavailable}},
		{"deployment-scaled-to-zero", KindDeployment, "web", nil, StatusHealthy, nil},
		{"deployment-mesh-unreachable", KindDeployment, "web", staticMesh{}, StatusDegraded, []string{ReasonMeshUnreachable}},
		{"deployment-mesh-unreachable", KindDeployment, "web", staticMesh{"shop/Deployment/web": 1}, StatusHealthy, nil},
		{"deployment-mesh-unreachable", KindDeployment, "web", nil, StatusHealthy, nil},
		{"deployment-healthy", KindDeployment, "absent", nil, StatusUnknown, []string{ReasonNotFound}},
		{"deployment-healthy", KindStatefulSet, "web", nil, StatusUnknown, []string{ReasonNotFound}},
		{"statefulset-degraded", KindStatefulSet, "db", nil, StatusDegraded, []string{ReasonReplicasUnavailable}},
		{"daemonset-healthy", KindDaemonSet, "agent", nil, StatusHealthy, nil},
		{"daemonset-degraded", KindDaemonSet, "agent", nil, StatusDegraded, []string{ReasonReplicasUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.kind+"/"+tt.name, func(t *testing.T) {
			c := newStaticCache(t, loadObjects(t, "testdata/verdicts/"+tt.file+".yaml")...)
			v := c.Verdict(Target{Namespace: "shop", Kind: tt.kind, Name: tt.name}, tt.mesh)
			assert.Equal(t, tt.want, v.Status)
			var codes []string
			for _, r := range v.Reasons {
				codes = append(codes, r.Code)
			}
			assert.Equal(t, tt.wantReasons, codes)
		})
	}
}

func TestPodSummaryCounts(t *testing.T) {
	c := newStaticCache(t, loadObjects(t, "testdata/verdicts/deployment-healthy.yaml")...)
	v := c.Verdict(Target{Namespace: "shop", Kind: KindDeployment, Name: "web"}, staticMesh{"shop/Deployment/web": 2})
	require.NotNil(t, v.Pods)
	// the Failed pod and the other deployment's pod are left out
	assert.Equal(t, PodSummary{Total: 2, Ready: 2, Restarts: 1}, *v.Pods)
	assert.Equal(t, &MeshSummary{Injected: 2, Alive: 2}, v.Mesh)
}
