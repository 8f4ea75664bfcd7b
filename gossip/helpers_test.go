package gossip

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
)

// newKey returns a random 32-byte key.
func newKey(t testing.TB) []byte {
	t.Helper()
	k, err := NewKey()
	require.NoError(t, err)
	return k
}

// writeKeys writes a key file atomically (rename), primary first.
func writeKeys(t testing.TB, path string, keys ...[]byte) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, Keys(keys).Encode(), 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// testConfig returns a fast config on 127.0.0.1 with a free port.
func testConfig(t testing.TB, name, keyFile string) Config {
	cfg := DefaultConfig()
	cfg.Name = name
	pod := name // names are <namespace>/<pod>/<uid>: the pod is the middle part
	if parts := strings.Split(name, "/"); len(parts) == 3 {
		pod = parts[1]
	}
	cfg.Meta = Meta{Pod: pod, Namespace: "ns", Node: "node-a", App: "app", Role: RoleSidecar}
	cfg.BindAddr, cfg.BindPort = "127.0.0.1", 0
	cfg.Join = nil
	cfg.KeyFile = keyFile
	cfg.KeyPollInterval = 50 * time.Millisecond
	cfg.ProbeInterval, cfg.ProbeTimeout = 200*time.Millisecond, 100*time.Millisecond
	cfg.GossipInterval, cfg.PushPullInterval = 50*time.Millisecond, 2*time.Second
	cfg.SuspicionMult = 2
	cfg.JoinBackoffMin, cfg.JoinBackoffMax = 50*time.Millisecond, 500*time.Millisecond
	cfg.ReconnectInterval, cfg.DepartedRetention = 500*time.Millisecond, 3*time.Second
	cfg.LeaveTimeout, cfg.TCPTimeout = time.Second, time.Second
	cfg.EchoInterval, cfg.EchoTimeout, cfg.EchoPeers = 50*time.Millisecond, 200*time.Millisecond, 2
	cfg.Logger = testlog.New(t, slog.LevelWarn)
	return cfg
}

// running is a Mesh started by startMesh.
type running struct {
	*Mesh
	reg    *prometheus.Registry
	stop   func() // graceful: leave and wait for Run to return
	killed bool
}

// startMesh runs a Mesh until the test ends (or stop is called).
func startMesh(t testing.TB, cfg Config) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	m, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	r := &running{Mesh: m, reg: reg}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if !r.killed {
				require.NoError(t, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: Run did not return after cancel", cfg.Name)
		}
	}
	t.Cleanup(r.stop)
	return r
}

// waitRunning waits until the member gossips and returns its address.
func waitRunning(t testing.TB, r *running) string {
	t.Helper()
	require.Eventually(t, func() bool { return r.Status().State == StatusRunning }, 5*time.Second, 10*time.Millisecond)
	return r.Addr().String()
}

// keyDir returns a key-file path in a fresh temp dir.
func keyDir(t testing.TB) string { return filepath.Join(t.TempDir(), "keys") }

// aliveNames returns the names this member lists as alive or suspect, itself included.
func aliveNames(r *running) []string {
	var out []string
	for _, m := range r.Members() {
		if m.State == StateAlive || m.State == StateSuspect {
			out = append(out, m.Name)
		}
	}
	return out
}

// hardStop kills a member without leaving: memberlist and sockets shut down.
func hardStop(t testing.TB, r *running) {
	t.Helper()
	ml := r.memberlist()
	require.NotNil(t, ml)
	r.killed = true
	require.NoError(t, ml.Shutdown())
}
