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

func TestDefaultOptions(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "")
	o, err := parseOptions(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "/etc/meshprobe/tls", o.certDir)
	assert.Equal(t, 9443, o.webhookPort)
	assert.Equal(t, ":8080", o.metricsAddr)
	assert.Equal(t, ":8081", o.probeAddr)
	assert.Equal(t, "auto", o.nativeSidecar)
	assert.Equal(t, "meshprobe-system", o.namespace)

	cfg, err := o.webhookConfig(true)
	require.NoError(t, err)
	assert.Equal(t, "meshprobe-gossip.meshprobe-system.svc:7946", cfg.GossipJoin)
	assert.Equal(t, []string{"kube-system", "kube-public", "kube-node-lease", "meshprobe-system"}, cfg.ExcludedNamespaces)
	assert.Equal(t, resource.MustParse("64Mi"), cfg.Resources.Limits[corev1.ResourceMemory])
	assert.True(t, cfg.NativeSidecar)
}

func TestNamespaceFromEnv(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "probes")
	o, err := parseOptions([]string{"--gossip-port=17946"}, io.Discard)
	require.NoError(t, err)
	cfg, err := o.webhookConfig(false)
	require.NoError(t, err)
	assert.Equal(t, "meshprobe-gossip.probes.svc:17946", cfg.GossipJoin)
	assert.Contains(t, cfg.ExcludedNamespaces, "probes")
	assert.NotContains(t, cfg.ExcludedNamespaces, "meshprobe-system")
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

func TestWebhookConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--sidecar-cpu-request=lots"}, `--sidecar-cpu-request "lots"`},
		{[]string{"--gossip-port=70000"}, "gossip port 70000: want 1-65535"},
		{[]string{"--http-port=4294967297"}, "--gossip-port and --http-port must be 1-65535"},
		{[]string{"--sidecar-run-as-user=0"}, "runAsUser 0"},
		{[]string{"--sidecar-image-pull-policy=Sometimes"}, "pull policy"},
		{[]string{"--sidecar-memory-request=1Gi"}, "memory request 1Gi exceeds its limit 64Mi"},
		{[]string{"--excluded-namespaces=Bad_NS"}, `excluded namespace "Bad_NS"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			o, err := parseOptions(tt.args, io.Discard)
			require.NoError(t, err)
			_, err = o.webhookConfig(true)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPositionalArgumentsRejected(t *testing.T) {
	_, err := parseOptions([]string{"serve"}, io.Discard)
	require.ErrorContains(t, err, "takes flags only")
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
