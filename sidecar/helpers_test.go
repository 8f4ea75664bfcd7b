package sidecar

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
)

var atomicSeq atomic.Int64

// atomicWrite updates dir the way the kubelet's atomic writer updates Secret and
// Downward API volumes: the files go into a fresh hidden directory, the "..data"
// symlink is swapped to it with a rename, and each visible name is a symlink
// through "..data". Readers never see a half-written set.
func atomicWrite(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	ts := fmt.Sprintf("..2026_11_22_%06d", atomicSeq.Add(1))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ts), 0o755))
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, ts, name), []byte(content), 0o644))
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	require.NoError(t, os.Symlink(ts, tmp))
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, "..data")))
	for name := range files {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			require.NoError(t, os.Symlink(filepath.Join("..data", name), link))
		}
	}
	if old != "" {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, old)))
	}
}

// newKey returns a random 32-byte gossip key.
func newKey(t testing.TB) []byte {
	t.Helper()
	k, err := gossip.NewKey()
	require.NoError(t, err)
	return k
}

// writeKeyFile writes the gossip-key Secret volume (file "keys") atomically.
func writeKeyFile(t testing.TB, dir string, keys ...[]byte) {
	t.Helper()
	atomicWrite(t, dir, map[string]string{"keys": string(gossip.Keys(keys).Encode())})
}

func itoa(i int) string { return strconv.Itoa(i) }

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, cancel
}

// runAgent runs an Agent built from cfg until the test ends, then requires it
// to stop cleanly within 10 s.
func runAgent(t *testing.T, cfg Config, log *slog.Logger) *Agent {
	t.Helper()
	agent, err := NewAgent(cfg, log)
	require.NoError(t, err)
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("the agent did not stop")
		}
	})
	return agent
}
