package monitoring

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// scrapeSourceLabel marks the series of the jobs translated from the PodMonitors.
const scrapeSourceLabel = "scrape_source"

// plainScrapeConfigs reads the shipped scrape_config example and points its Kubernetes
// discovery at the test API server (through promtest.KubernetesSD, as Debian's
// Prometheus has no kubernetes_sd_configs). Only the intervals change (1s, not 30s).
func plainScrapeConfigs(t *testing.T, sdURL string) []map[string]any {
	t.Helper()
	var doc struct {
		ScrapeConfigs []map[string]any `json:"scrape_configs"`
	}
	require.NoError(t, yaml.UnmarshalStrict(readFile(t, scrapeFile), &doc))
	require.Len(t, doc.ScrapeConfigs, 3)
	for _, sc := range doc.ScrapeConfigs {
		sc["scrape_interval"], sc["scrape_timeout"] = "1s", "1s"
		require.NoError(t, promtest.ReplaceKubernetesSD(sc, sdURL))
	}
	return doc.ScrapeConfigs
}

// podMonitorScrapeConfig translates a PodMonitor into the scrape job that
// prometheus-operator generates for it: Kubernetes pod discovery in the selected
// namespaces, keep by the label selector and the port name, the operator's namespace,
// pod, container, job and endpoint labels, then the PodMonitor's own relabelings. In
// the test the job keeps only `up` (metric_relabel drops all scraped series), so the
// series are not counted twice, and carries scrape_source="podmonitor".
func podMonitorScrapeConfig(t *testing.T, path, sdURL string) map[string]any {
	t.Helper()
	pm := readPodMonitor(t, path)
	ep := pm.Spec.PodMetricsEndpoints[0]
	sd := map[string]any{"role": "pod"}
	if !pm.Spec.NamespaceSelector.Any {
		sd["namespaces"] = map[string]any{"names": toAny(pm.Spec.NamespaceSelector.MatchNames)}
	}
	relabel := []any{}
	for _, k := range slices.Sorted(maps.Keys(pm.Spec.Selector.MatchLabels)) {
		relabel = append(relabel, map[string]any{
			"action":        "keep",
			"source_labels": []string{"__meta_kubernetes_pod_label_" + sanitize(k), "__meta_kubernetes_pod_labelpresent_" + sanitize(k)},
			"regex":         "(" + regexp.QuoteMeta(pm.Spec.Selector.MatchLabels[k]) + ");true",
		})
	}
	relabel = append(relabel,
		map[string]any{"action": "keep", "source_labels": []string{"__meta_kubernetes_pod_container_port_name"}, "regex": ep.Port},
		map[string]any{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
		map[string]any{"source_labels": []string{"__meta_kubernetes_pod_container_name"}, "target_label": "container"},
		map[string]any{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
		map[string]any{"target_label": "job", "replacement": "podmonitor/" + path},
		map[string]any{"target_label": "endpoint", "replacement": ep.Port},
	)
	for _, r := range ep.Relabelings {
		relabel = append(relabel, snakeKeys(r))
	}
	relabel = append(relabel, map[string]any{"target_label": scrapeSourceLabel, "replacement": "podmonitor"})
	job := map[string]any{
		"job_name":               "podmonitor/" + path,
		"metrics_path":           ep.Path,
		"honor_labels":           ep.HonorLabels,
		"scrape_interval":        "1s",
		"scrape_timeout":         "1s",
		"kubernetes_sd_configs":  []any{sd},
		"relabel_configs":        relabel,
		"metric_relabel_configs": []any{map[string]any{"action": "drop", "source_labels": []string{"__name__"}, "regex": ".+"}},
	}
	require.NoError(t, promtest.ReplaceKubernetesSD(job, sdURL))
	return job
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

var nonLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// sanitize turns a Kubernetes label key into Prometheus' meta label suffix.
func sanitize(k string) string { return nonLabelChars.ReplaceAllString(k, "_") }

// snakeKeys turns a PodMonitor relabeling (sourceLabels) into Prometheus' form
// (source_labels).
func snakeKeys(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		var b strings.Builder
		for _, r := range k {
			if r >= 'A' && r <= 'Z' {
				b.WriteByte('_')
				r += 'a' - 'A'
			}
			b.WriteRune(r)
		}
		out[b.String()] = v
	}
	return out
}
