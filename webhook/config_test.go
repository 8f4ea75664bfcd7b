package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestDefaultConfigIsValid(t *testing.T) {
	cfg := DefaultConfig()
	require.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"kube-system", "kube-public", "kube-node-lease", "meshprobe-system"}, cfg.ExcludedNamespaces)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"no image", func(c *Config) { c.Image = "" }, "sidecar image is empty"},
		{"bad pull policy", func(c *Config) { c.ImagePullPolicy = "Sometimes" }, `sidecar image pull policy "Sometimes"`},
		{"gossip port zero", func(c *Config) { c.GossipPort = 0 }, "gossip port 0: want 1-65535"},
		{"http port too high", func(c *Config) { c.HTTPPort = 70000 }, "http port 70000: want 1-65535"},
		{"ports equal", func(c *Config) { c.HTTPPort = c.GossipPort }, "gossip port and http port are both 14100"},
		{"no join", func(c *Config) { c.GossipJoin = "" }, "gossip join address is empty"},
		{"root", func(c *Config) { c.RunAsUser = 0 }, "sidecar runAsUser 0: must be a non-root uid"},
		{"request over limit", func(c *Config) { c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse("1Gi") }, "sidecar memory request 1Gi exceeds its limit 64Mi"},
		{"zero limit", func(c *Config) { c.Resources.Limits[corev1.ResourceCPU] = resource.MustParse("0") }, "sidecar cpu limit 0 must be positive"},
		{"bad namespace", func(c *Config) { c.ExcludedNamespaces = []string{"Kube_System"} }, `excluded namespace "Kube_System"`},
		{"no version", func(c *Config) { c.Version = "" }, "version is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Resources = *cfg.Resources.DeepCopy()
			tt.modify(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "webhook: invalid config")
		})
	}
}

func TestReasonsHaveMessages(t *testing.T) {
	for _, r := range Reasons() {
		assert.Contains(t, reasonMessages, r, "reason %q has no message", r)
		assert.NotEqual(t, string(r), r.Message())
	}
	assert.Len(t, reasonMessages, len(Reasons()))
}
