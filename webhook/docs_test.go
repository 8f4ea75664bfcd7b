package webhook

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	kustomize "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// documentedExamples are the documents whose YAML examples users copy.
var documentedExamples = []string{
	"../README.md", "../checks/README.md", "../docs/contract.md",
	"README.md", "../sidecar/README.md", "../integrations/clusterchecks/README.md",
}

var yamlBlockRE = regexp.MustCompile("(?ms)^```yaml\n(.*?)^```")

// TestDocumentedExamplesParse parses every YAML example of the docs as what it
// shows: pod metadata (its meshprobe annotations are checked as admission would),
// a list of checks, or the webhook's config file.
func TestDocumentedExamplesParse(t *testing.T) {
	seen := 0
	for _, doc := range documentedExamples {
		data, err := os.ReadFile(doc)
		require.NoError(t, err)
		for i, m := range yamlBlockRE.FindAllSubmatch(data, -1) {
			block := m[1]
			t.Run(fmt.Sprintf("%s#%d", strings.TrimPrefix(doc, "../"), i+1), func(t *testing.T) {
				seen++
				checkExample(t, block)
			})
		}
	}
	require.GreaterOrEqual(t, seen, 4, "the docs have fewer YAML examples than expected: is the pattern stale?")
}

func checkExample(t *testing.T, block []byte) {
	t.Helper()
	switch {
	case strings.HasPrefix(strings.TrimSpace(string(block)), "- "):
		_, err := spec.Parse(block)
		require.NoError(t, err, "checks example:\n%s", block)
	case strings.Contains(string(block), "\nkind: ConfigMap\n"):
		checkClusterChecksExample(t, block)
	case strings.HasPrefix(string(block), "# kustomization.yaml"):
		var k kustomize.Kustomization
		require.NoError(t, yaml.UnmarshalStrict(block, &k), "kustomization example:\n%s", block)
		require.NotEmpty(t, k.Resources, "kustomization example without resources:\n%s", block)
	case strings.HasPrefix(string(block), "# /etc/meshprobe/webhook.yaml"):
		var cfg map[string]any
		require.NoError(t, yaml.UnmarshalStrict(block, &cfg), "config file example")
		if defaults, ok := cfg["sidecar-defaults"]; ok {
			js, err := json.Marshal(defaults)
			require.NoError(t, err)
			s, err := ParseSidecarSettings(js)
			require.NoError(t, err)
			require.Empty(t, s.validate(nil))
		}
	default:
		pod := &corev1.Pod{}
		require.NoError(t, yaml.UnmarshalStrict(block, pod), "example is no pod:\n%s", block)
		require.NotEmpty(t, pod.Annotations, "pod example without annotations:\n%s", block)
		for key, value := range pod.Annotations {
			switch key {
			case contract.AnnotationChecks:
				_, err := spec.Parse([]byte(value))
				require.NoError(t, err, "%s example:\n%s", key, value)
			case contract.AnnotationSidecar:
				s, err := ParseSidecarSettings([]byte(value))
				require.NoError(t, err, "%s example:\n%s", key, value)
				for _, m := range s.VolumeMounts { // the example shows no spec
					pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: m.Name})
				}
				require.Empty(t, s.validate(pod), "%s example:\n%s", key, value)
			default:
				t.Fatalf("example annotation %s is not checked by this test", key)
			}
		}
	}
}

// checkClusterChecksExample parses a cluster-checks ConfigMap: labelled as the
// control plane selects it, with every data key a valid list of checks.
func checkClusterChecksExample(t *testing.T, block []byte) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	require.NoError(t, yaml.UnmarshalStrict(block, cm), "ConfigMap example:\n%s", block)
	require.Equal(t, "true", cm.Labels["meshprobe.io/checks"], "cluster-checks example without its label:\n%s", block)
	require.NotEmpty(t, cm.Data, "cluster-checks example without checks:\n%s", block)
	for key, value := range cm.Data {
		_, err := spec.Parse([]byte(value))
		require.NoError(t, err, "cluster checks %q:\n%s", key, value)
	}
}
