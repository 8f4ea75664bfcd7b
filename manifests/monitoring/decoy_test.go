package monitoring

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// targetFilters are, by job, the keep rules that limit it to meshprobe's own
// containers: a pod label and a port name are what any pod author sets. The sidecars
// are the injected container of annotated pods; the agents are the agent container
// of pods in meshprobe's namespace, where tenants create no pods.
var targetFilters = []struct {
	job, podMonitor string
	keep            []map[string]any
}{
	{"meshprobe-sidecar", sidecarPodMon, []map[string]any{
		{"action": "keep", "source_labels": []any{"__meta_kubernetes_pod_container_name"}, "regex": contract.SidecarContainerName},
		{"action": "keep", "source_labels": []any{"__meta_kubernetes_pod_annotationpresent_meshprobe_io_injected"}, "regex": "true"},
	}},
	{agentJob, agentPodMon, []map[string]any{
		{"action": "keep", "source_labels": []any{"__meta_kubernetes_namespace"}, "regex": contract.DefaultNamespace},
		{"action": "keep", "source_labels": []any{"__meta_kubernetes_pod_container_name"}, "regex": agentJob},
	}},
}

// TestJobsKeepOnlyMeshprobeContainers: for the sidecars and the agents, both the
// PodMonitor and the plain scrape configuration keep meshprobe's container only, and
// neither honours the labels of the scraped series.
func TestJobsKeepOnlyMeshprobeContainers(t *testing.T) {
	var doc struct {
		ScrapeConfigs []map[string]any `json:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(readFile(t, scrapeFile), &doc))
	for _, f := range targetFilters {
		t.Run(f.job, func(t *testing.T) {
			pm := readPodMonitor(t, f.podMonitor)
			ep := pm.Spec.PodMetricsEndpoints[0]
			assert.False(t, ep.HonorLabels, "the scraped series must not set namespace or pod")
			var rules []map[string]any
			for _, r := range ep.Relabelings {
				rules = append(rules, snakeKeys(r))
			}
			i := slices.IndexFunc(doc.ScrapeConfigs, func(sc map[string]any) bool { return sc["job_name"] == f.job })
			require.GreaterOrEqual(t, i, 0, "plain job %s", f.job)
			job := doc.ScrapeConfigs[i]
			assert.NotEqual(t, true, job["honor_labels"])
			var plain []map[string]any
			for _, r := range job["relabel_configs"].([]any) {
				plain = append(plain, r.(map[string]any))
			}
			for _, want := range f.keep {
				assert.Contains(t, rules, want, "PodMonitor")
				assert.Contains(t, plain, want, "plain scrape configuration")
			}
		})
	}
}

// decoyPods look like members to a label selector but are not the injected
// sidecar: the label and a port named meshprobe-http on an app container, and a
// container named meshprobe-sidecar in a pod without the meshprobe.io/injected
// annotation. Both use m's address, where a sidecar does serve /metrics, so a
// scrape would succeed: neither may become a target.
func decoyPods(m member) []*corev1.Pod {
	appPort := podObject(m.namespace, "decoy-app-port", m.node, map[string]string{contract.LabelMember: "true"},
		corev1.Container{Name: "app", Image: "app:test", Ports: []corev1.ContainerPort{
			{Name: contract.PortNameHTTP, ContainerPort: contract.DefaultHTTPPort, Protocol: corev1.ProtocolTCP},
		}})
	appPort.Annotations = map[string]string{contract.AnnotationInjected: "v0.0.0"}
	unannotated := sidecarPod(m)
	unannotated.Name, unannotated.Annotations = "decoy-unannotated", nil
	return []*corev1.Pod{appPort, unannotated}
}
