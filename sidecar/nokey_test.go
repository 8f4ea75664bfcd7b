package sidecar

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportMissingKey(t *testing.T) {
	dir := t.TempDir() // an optional Secret volume whose Secret does not exist: empty
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	keyFile := filepath.Join(dir, "keys")

	reportMissingKey(ModeSidecar, keyFile, log)
	assert.Contains(t, buf.String(), "its namespace is not opted in to the mesh")
	assert.Contains(t, buf.String(), "meshprobe.io/mesh=enabled")

	buf.Reset()
	reportMissingKey(ModeAgent, keyFile, log)
	assert.Contains(t, buf.String(), "agent: no gossip key")
	assert.Contains(t, buf.String(), "the Secret meshprobe-gossip-key in the agent's namespace is missing")

	buf.Reset()
	require.NoError(t, os.WriteFile(keyFile, []byte("not checked here\n"), 0o600))
	reportMissingKey(ModeSidecar, keyFile, log)
	assert.Empty(t, buf.String(), "a key file, usable or not, is the gossip member's to report")
}
