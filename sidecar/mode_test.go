package sidecar

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadConfigModes(t *testing.T) {
	tests := []struct {
		name           string
		env            map[string]string
		args           []string
		mode           Mode
		file           string
		ownerKind, own string
	}{
		{"sidecar by default", nil, nil, ModeSidecar, "", "", ""},
		{"agent from env: default file and owner", map[string]string{"MESHPROBE_MODE": "agent"}, nil,
			ModeAgent, DefaultAgentChecksFile, "DaemonSet", "meshprobe-agent"},
		{"agent from the flag", nil, []string{"--mode=agent"}, ModeAgent, DefaultAgentChecksFile, "DaemonSet", "meshprobe-agent"},
		{"agent with a file and owner from env", map[string]string{"MESHPROBE_MODE": "agent", "MESHPROBE_CHECKS_FILE": "/c/x.yaml",
			"MESHPROBE_OWNER_KIND": "DaemonSet", "MESHPROBE_OWNER_NAME": "probes"}, nil, ModeAgent, "/c/x.yaml", "DaemonSet", "probes"},
		{"the flag overrides the env's file", map[string]string{"MESHPROBE_MODE": "agent", "MESHPROBE_CHECKS_FILE": "/c/x.yaml"},
			[]string{"--checks-file=/d/y.yaml"}, ModeAgent, "/d/y.yaml", "DaemonSet", "meshprobe-agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadWithPod(tt.args, tt.env)
			require.NoError(t, err)
			assert.Equal(t, tt.mode, cfg.Mode)
			assert.Equal(t, tt.file, cfg.ChecksFile)
			assert.Equal(t, tt.ownerKind, cfg.OwnerKind)
			assert.Equal(t, tt.own, cfg.OwnerName)
		})
	}
}
