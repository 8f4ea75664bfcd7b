package monitoring

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// TestPromtoolCheckRules runs promtool on the PrometheusRule's groups.
func TestPromtoolCheckRules(t *testing.T) {
	promtest.CheckRules(t, writeRuleFile(t, t.TempDir()))
}

// TestAlertsAreActionable: every alert waits before firing, has a severity, a summary,
// a description and a runbook hint.
func TestAlertsAreActionable(t *testing.T) {
	alerts := 0
	for _, g := range ruleGroups(t) {
		for _, r := range g.Rules {
			if r.Alert == "" {
				assert.Contains(t, r.Record, ":", "recorded series follow level:metric:operations")
				continue
			}
			alerts++
			assert.NotEmpty(t, r.For, "%s needs a for: so it does not flap", r.Alert)
			assert.Contains(t, []string{"warning", "critical"}, r.Labels["severity"], r.Alert)
			for _, a := range []string{"summary", "description", "runbook"} {
				assert.NotEmpty(t, r.Annotations[a], "%s: annotation %s", r.Alert, a)
			}
		}
	}
	assert.GreaterOrEqual(t, alerts, 10)
}

// podMonitor is the part of a PodMonitor the tests read.
type podMonitor struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       struct {
		NamespaceSelector struct {
			Any        bool     `json:"any"`
			MatchNames []string `json:"matchNames"`
		} `json:"namespaceSelector"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		PodMetricsEndpoints []struct {
			Port          string           `json:"port"`
			Path          string           `json:"path"`
			HonorLabels   bool             `json:"honorLabels"`
			Interval      string           `json:"interval"`
			ScrapeTimeout string           `json:"scrapeTimeout"`
			Relabelings   []map[string]any `json:"relabelings"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

func readPodMonitor(t *testing.T, path string) podMonitor {
	t.Helper()
	var pm podMonitor
	require.NoError(t, yaml.UnmarshalStrict(readFile(t, path), &pm, yaml.DisallowUnknownFields), path)
	require.Equal(t, "PodMonitor", pm.Kind)
	require.Equal(t, "monitoring.coreos.com/v1", pm.APIVersion)
	require.Len(t, pm.Spec.PodMetricsEndpoints, 1)
	return pm
}

func TestSidecarPodMonitor(t *testing.T) {
	pm := readPodMonitor(t, sidecarPodMon)
	assert.True(t, pm.Spec.NamespaceSelector.Any, "sidecars live in every namespace")
	assert.Equal(t, map[string]string{contract.LabelMember: "true"}, pm.Spec.Selector.MatchLabels)
	assert.Equal(t, contract.PortNameHTTP, pm.Spec.PodMetricsEndpoints[0].Port)
}

func TestControlPlanePodMonitor(t *testing.T) {
	pm := readPodMonitor(t, controlPodMon)
	assert.Equal(t, []string{contract.DefaultNamespace}, pm.Spec.NamespaceSelector.MatchNames)
	assert.Equal(t, controlPlaneMetricsPort, pm.Spec.PodMetricsEndpoints[0].Port)
	assert.Equal(t, controlPlaneSelector, pm.Spec.Selector.MatchLabels)
	// meshprobe_webhook_missed_pods{namespace} names the pods' namespace, which must
	// win over the target's namespace (meshprobe-system).
	assert.True(t, pm.Spec.PodMetricsEndpoints[0].HonorLabels, "honorLabels keeps the missed pods' namespace label")
	// The shipped Deployment's pods match the selector and have the port.
	tmpl := controlPlanePodTemplate(t)
	for k, v := range pm.Spec.Selector.MatchLabels {
		assert.Equal(t, v, tmpl.Labels[k], "pod template label %s", k)
	}
	assert.Equal(t, int32(controlPlaneMetricsPortNumber), containerPort(t, tmpl, controlPlaneMetricsPort))
}

// TestKustomization: every resource exists and the dashboard ConfigMap is included.
func TestKustomization(t *testing.T) {
	var k struct {
		Resources []string `json:"resources"`
	}
	require.NoError(t, yaml.Unmarshal(readFile(t, kustomizeFile), &k))
	for _, r := range k.Resources {
		_, err := os.Stat(r)
		assert.NoError(t, err, r)
	}
	assert.ElementsMatch(t, []string{sidecarPodMon, agentPodMon, controlPodMon, ruleFile, configMapFile}, k.Resources)
	assert.True(t, strings.Contains(string(readFile(t, configMapFile)), `grafana_dashboard: "1"`))
}
