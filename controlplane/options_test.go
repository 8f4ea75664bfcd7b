package controlplane

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/meshprobe/meshprobe/webhook"
)

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
	assert.Equal(t, "meshprobe-gossip.meshprobe-system.svc:14100", cfg.GossipJoin)
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

func TestSidecarDefaultsFlags(t *testing.T) {
	o, err := parseOptions([]string{"--sidecar-port-range=20000-20009", "--sidecar-defaults={logLevel: debug, env: [{name: A, value: b}]}"}, io.Discard)
	require.NoError(t, err)
	cfg, err := o.webhookConfig(true)
	require.NoError(t, err)
	assert.Equal(t, webhook.PortRange{First: 20000, Last: 20009}, cfg.PortRange)
	assert.Equal(t, "debug", cfg.Sidecar.LogLevel)

	for args, want := range map[string]string{
		"--sidecar-port-range=9-x":                       "--sidecar-port-range",
		"--sidecar-defaults={logLevel: loud}":            `sidecar defaults: field "logLevel"`,
		"--sidecar-defaults={volumeMounts: [{name: v}]}": "volumeMounts and ports are per pod",
		"--sidecar-defaults={colour: red}":               `--sidecar-defaults: field "colour": unknown field`,
	} {
		o, err := parseOptions([]string{args}, io.Discard)
		require.NoError(t, err)
		_, err = o.webhookConfig(true)
		assert.ErrorContains(t, err, want, args)
	}
}
