package sidecar

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// loadWithPod loads the configuration from args and env plus POD_NAME.
func loadWithPod(args []string, env map[string]string) (Config, error) {
	all := map[string]string{"POD_NAME": "p"}
	for k, v := range env {
		all[k] = v
	}
	return LoadConfig(args, envMap(all), io.Discard)
}

func TestLoadConfigFromEnv(t *testing.T) {
	cfg, err := LoadConfig(nil, envMap(map[string]string{
		"POD_NAME": "web-1", "POD_NAMESPACE": "shop", "POD_IP": "10.1.2.3", "POD_UID": "abcd", "NODE_NAME": "n1",
		"MESHPROBE_OWNER_KIND": "Deployment", "MESHPROBE_OWNER_NAME": "web",
		"MESHPROBE_GOSSIP_JOIN": "a.svc:7946, b.svc:7000", "MESHPROBE_GOSSIP_PORT": "8000", "MESHPROBE_HTTP_PORT": "9000",
		"MESHPROBE_PODINFO_DIR": "/pi", "MESHPROBE_GOSSIP_KEY_DIR": "/k",
		"MESHPROBE_RTT_INTERVAL": "5s", "MESHPROBE_RTT_PEERS": "7", "MESHPROBE_RTT_PEER_POD_LABELS": "true",
		"MESHPROBE_LOG_LEVEL": "debug",
	}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "web-1", cfg.PodName)
	assert.Equal(t, "shop", cfg.PodNamespace)
	assert.Equal(t, "10.1.2.3", cfg.PodIP)
	assert.Equal(t, "Deployment", cfg.OwnerKind)
	assert.Equal(t, []string{"a.svc:7946", "b.svc:7000"}, cfg.GossipJoin)
	assert.Equal(t, 8000, cfg.GossipPort)
	assert.Equal(t, 9000, cfg.HTTPPort)
	assert.Equal(t, "/k/keys", cfg.KeyFile())
	assert.Equal(t, 5*time.Second, cfg.RTTInterval)
	assert.Equal(t, 7, cfg.RTTPeers)
	assert.True(t, cfg.RTTPeerPodLabels)
	assert.Equal(t, []string{"peer_app", "peer_node", "peer_pod"}, cfg.RTTPeerLabels, "the deprecated switch is every detailed label")
	assert.Equal(t, "debug", cfg.Log.Level)
}

func TestLoadConfigPeerLabels(t *testing.T) {
	cfg, err := LoadConfig([]string{"--rtt-peer-label-limit=10"}, envMap(map[string]string{
		"POD_NAME": "p", "MESHPROBE_RTT_PEER_NAMESPACES": "db, auth", "MESHPROBE_RTT_PEER_LABELS": "peer_node",
	}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"db", "auth"}, cfg.RTTPeerNamespaces)
	assert.Equal(t, []string{"peer_node"}, cfg.RTTPeerLabels)
	assert.Equal(t, 10, cfg.RTTPeerLabelLimit)
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(nil, envMap(map[string]string{"POD_NAME": "p"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"meshprobe-gossip.meshprobe-system.svc:14100"}, cfg.GossipJoin)
	assert.Equal(t, 14100, cfg.GossipPort)
	assert.Equal(t, 14101, cfg.HTTPPort)
	assert.Equal(t, "/etc/meshprobe/podinfo", cfg.PodInfoDir)
	assert.Equal(t, "/etc/meshprobe/gossip/keys", cfg.KeyFile())
	assert.Equal(t, time.Second, cfg.RTTInterval)
	assert.Equal(t, 3, cfg.RTTPeers)
	assert.False(t, cfg.RTTPeerPodLabels)
	assert.Empty(t, cfg.RTTPeerLabels)
	assert.Empty(t, cfg.RTTPeerNamespaces)
	assert.Equal(t, 64, cfg.RTTPeerLabelLimit)
}

func TestLoadConfigFlagsOverrideEnv(t *testing.T) {
	cfg, err := LoadConfig([]string{"--gossip-port=1234", "--pod-name=flag", "--rtt-peers=1"},
		envMap(map[string]string{"POD_NAME": "env", "MESHPROBE_GOSSIP_PORT": "8000"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 1234, cfg.GossipPort)
	assert.Equal(t, "flag", cfg.PodName)
	assert.Equal(t, 1, cfg.RTTPeers)
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		err  string
	}{
		{"bad int env", map[string]string{"MESHPROBE_GOSSIP_PORT": "x"}, nil, `sidecar: config: $MESHPROBE_GOSSIP_PORT="x": not an integer`},
		{"bad duration env", map[string]string{"MESHPROBE_RTT_INTERVAL": "10"}, nil, `sidecar: config: $MESHPROBE_RTT_INTERVAL="10": not a duration (like 1s or 500ms)`},
		{"bad bool env", map[string]string{"MESHPROBE_RTT_PEER_POD_LABELS": "sure"}, nil, `sidecar: config: $MESHPROBE_RTT_PEER_POD_LABELS="sure": not a boolean`},
		{"port range", nil, []string{"--http-port=70000"}, "sidecar: config: HTTP port 70000 out of range"},
		{"rtt peers", nil, []string{"--rtt-peers=0"}, "sidecar: config: rtt-interval must not be negative, rtt-peers and rtt-timeout must be positive"},
		{"stray args", nil, []string{"extra"}, `sidecar: unexpected arguments ["extra"]`},
		{"unknown flag", nil, []string{"--nope"}, "flag provided but not defined: -nope"},
		{"unknown mode", map[string]string{"MESHPROBE_MODE": "node"}, nil, `sidecar: config: mode "node": want sidecar or agent`},
		{"a sidecar with a checks file", map[string]string{"MESHPROBE_CHECKS_FILE": "/c.yaml"}, nil,
			"sidecar: config: checks-file is for --mode=agent: a sidecar's checks come from its pod's meshprobe.io/checks annotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWithPod(tt.args, tt.env)
			require.EqualError(t, err, tt.err)
		})
	}
}
