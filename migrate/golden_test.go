package migrate

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/checks/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/<tool>/*.golden and *.stderr from the current output")

// TestGolden converts each tool's documented examples (testdata/<tool>/*.yaml)
// and compares stdout with <example>.golden and the warnings with
// <example>.stderr; every generated object must be what it says it is.
func TestGolden(t *testing.T) {
	for _, src := range Sources() {
		files, err := filepath.Glob(filepath.Join("testdata", string(src), "*.yaml"))
		require.NoError(t, err)
		require.NotEmpty(t, files, "no examples for %s", src)
		for _, file := range files {
			t.Run(string(src)+"/"+filepath.Base(file), func(t *testing.T) {
				data, err := os.ReadFile(file)
				require.NoError(t, err)
				res, err := ConvertBytes(src, data, Options{SourceName: filepath.Base(file)})
				require.NoError(t, err)
				var stderr strings.Builder
				for _, w := range res.Warnings {
					stderr.WriteString("warning: " + w.String() + "\n")
				}
				base := strings.TrimSuffix(file, ".yaml")
				compareGolden(t, base+".golden", res.YAML)
				compareGolden(t, base+".stderr", []byte(stderr.String()))
				assertObjects(t, res.YAML)
			})
		}
	}
}

// compareGolden compares got with the golden file, or rewrites it with -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./migrate -run TestGolden -update")
	require.Equal(t, string(want), string(got), "%s differs (go test ./migrate -run TestGolden -update rewrites it)", path)
}

// assertObjects checks every document of out: a cluster-check ConfigMap whose
// checks spec.Parse accepts, or a Namespace that joins the mesh.
func assertObjects(t *testing.T, out []byte) {
	t.Helper()
	docs, _, err := yamlDocuments(out)
	require.NoError(t, err)
	for _, js := range docs {
		var kind struct{ Kind string }
		require.NoError(t, yaml.Unmarshal(js, &kind))
		switch kind.Kind {
		case "ConfigMap":
			var cm corev1.ConfigMap
			require.NoError(t, yaml.UnmarshalStrict(js, &cm))
			require.Equal(t, DefaultNamespace, cm.Namespace)
			require.Equal(t, "true", cm.Labels[LabelChecks])
			require.Len(t, cm.Data, 1)
			checks, err := spec.Parse([]byte(cm.Data[ChecksKey]))
			require.NoError(t, err, "ConfigMap %s", cm.Name)
			require.NotEmpty(t, checks)
		case "Namespace":
			var ns corev1.Namespace
			require.NoError(t, yaml.UnmarshalStrict(js, &ns))
			require.Equal(t, map[string]string{"meshprobe.io/mesh": "enabled"}, ns.Labels)
		default:
			t.Fatalf("unexpected object %s in the output", kind.Kind)
		}
	}
}
