package controlplane

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGossipKeyOptions checks that the gossip-key task's settings, the rotation
// step's bound among them, come from flags and from the --config file.
func TestGossipKeyOptions(t *testing.T) {
	o, err := parseOptions(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 15*time.Minute, o.cp.gossipKeys.StepTimeout)
	assert.Equal(t, 720*time.Hour, o.cp.gossipKeys.RotateEvery)

	path := writeConfig(t, "gossip-key-step-timeout: 20m\ngossip-key-rotate-every: 24h\n")
	o, err = parseOptions([]string{"--config", path, "--gossip-key-rotate-every=48h"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 20*time.Minute, o.cp.gossipKeys.StepTimeout)
	assert.Equal(t, 48*time.Hour, o.cp.gossipKeys.RotateEvery, "the command line wins over the file")
	require.NoError(t, o.cp.gossipKeys.Validate())

	o, err = parseOptions([]string{"--gossip-key-step-timeout=0s"}, io.Discard)
	require.NoError(t, err, "parsing takes any duration")
	assert.ErrorContains(t, o.cp.gossipKeys.Validate(), "--gossip-key-step-timeout 0s must be positive")
}
