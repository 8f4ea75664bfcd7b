package controlplane

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "webhook.yaml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestConfigFile(t *testing.T) {
	path := writeConfig(t, `
sidecar-image: registry.example.com/meshprobe-sidecar:v9
sidecar-memory-limit: 128Mi
sidecar-cpu-limit: ""
sidecar-run-as-user: 1001
excluded-namespaces: [kube-system, istio-system]
strict: true
gossip-port: 7000
`)
	o, err := parseOptions([]string{"--config", path, "--gossip-port=7100", "--namespace=mp"}, io.Discard)
	require.NoError(t, err)
	cfg, err := o.webhookConfig(true)
	require.NoError(t, err)
	assert.Equal(t, "registry.example.com/meshprobe-sidecar:v9", cfg.Image)
	assert.Equal(t, resource.MustParse("128Mi"), cfg.Resources.Limits[corev1.ResourceMemory])
	assert.NotContains(t, cfg.Resources.Limits, corev1.ResourceCPU, "an empty value removes the limit")
	assert.Equal(t, int64(1001), cfg.RunAsUser)
	assert.Equal(t, []string{"kube-system", "istio-system", "mp"}, cfg.ExcludedNamespaces)
	assert.True(t, o.strict)
	assert.Equal(t, int32(7100), cfg.GossipPort, "the command line wins over the file")
}

func TestConfigFileErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"unknown key", "sidecar-imag: x\n", `unknown setting "sidecar-imag"`},
		{"config key", "config: other.yaml\n", `unknown setting "config"`},
		{"not a mapping", "- a\n- b\n", "not a YAML mapping of settings"},
		{"nested mapping", "sidecar-image: {name: x}\n", `setting "sidecar-image": want a string, number, boolean or list`},
		{"bad bool", "strict: maybe\n", `setting "strict"`},
		{"bad int", "gossip-port: seven\n", `setting "gossip-port"`},
		{"comma in list item", "excluded-namespaces: [\"a,b\"]\n", `setting "excluded-namespaces": item 0: want a plain value without commas`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions([]string{"--config", writeConfig(t, tt.content)}, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := parseOptions([]string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}, io.Discard)
	require.ErrorContains(t, err, "reading --config")
}

// FuzzConfigFile checks that any --config content is either accepted or rejected
// with an error, never a panic.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte("sidecar-image: x\nstrict: true\nexcluded-namespaces: [a, b]\n"))
	f.Add([]byte("gossip-port: 1e400\n"))
	f.Add([]byte("excluded-namespaces: [[a], {b: c}]\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, data []byte) {
		settings, err := parseConfigFile(data)
		if err != nil {
			return
		}
		o := &options{}
		fs := newFlagSet(o, io.Discard)
		_ = applySettings(fs, settings)
	})
}

func TestConfigFileSidecarDefaultsMapping(t *testing.T) {
	settings, err := parseConfigFile([]byte("sidecar-defaults:\n  logLevel: debug\n  rtt: {peers: 2}\n"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"logLevel": "debug", "rtt": {"peers": 2}}`, settings["sidecar-defaults"])
}
