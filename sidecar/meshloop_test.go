package sidecar

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// TestAgentSurvivesGossipFailure: with its gossip port taken the sidecar keeps
// serving (/healthz 200, /readyz 503 "failed") instead of exiting, and gossips
// once the port is free.
func TestAgentSurvivesGossipFailure(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	writeKeyFile(t, keys, newKey(t))
	gossipPort := freeport.TCPAndUDP(t)
	taken, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", itoa(gossipPort)))
	require.NoError(t, err)
	cfg := Config{
		PodName: "p", PodNamespace: "ns", PodIP: "127.0.0.1", NodeName: "n",
		GossipBindAddr: "127.0.0.1", GossipPort: gossipPort, GossipKeyDir: keys,
		HTTPAddr: "127.0.0.1", HTTPPort: freeport.TCP(t), PodInfoDir: filepath.Join(dir, "podinfo"),
		RTTInterval: time.Second, RTTPeers: 3, RTTTimeout: time.Second,
		PollInterval: 50 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
	}
	agent, err := NewAgent(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	base := "http://" + net.JoinHostPort("127.0.0.1", itoa(cfg.HTTPPort))

	require.Eventually(t, func() bool { return readyState(base) == "failed" }, 5*time.Second, 20*time.Millisecond)
	resp, err := http.Get(base + PathHealthz)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "alive while gossip fails")
	select {
	case err := <-done:
		t.Fatalf("the agent exited on a gossip failure: %v", err)
	case <-time.After(1500 * time.Millisecond): // past the first retry
	}

	require.NoError(t, taken.Close())
	require.Eventually(t, func() bool { return readyState(base) == "running" }, 10*time.Second, 50*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop")
	}
}

// readyState is the gossip state /readyz reports, or "" when it does not answer.
func readyState(base string) string {
	resp, err := http.Get(base + PathReadyz)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var r readyResponse
	if json.NewDecoder(resp.Body).Decode(&r) != nil {
		return ""
	}
	return r.Gossip.State
}
