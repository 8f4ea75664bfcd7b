package meshview

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
)

// meshMember runs a gossip member on 127.0.0.1 until the test ends.
func meshMember(t *testing.T, keyFile, ns, pod, role string, join []string, setup func(*gossip.Mesh)) *gossip.Mesh {
	t.Helper()
	cfg := gossip.DefaultConfig()
	cfg.Name = gossip.MemberName(ns, pod, "0123abcd-0000-0000-0000-000000000000")
	cfg.Meta = gossip.Meta{Pod: pod, Namespace: ns, Node: "node-" + pod, App: "web", Agent: "v1.2.3", Role: role}
	cfg.BindAddr, cfg.BindPort, cfg.Join, cfg.KeyFile = "127.0.0.1", 0, join, keyFile
	cfg.ProbeInterval, cfg.ProbeTimeout, cfg.GossipInterval = 200*time.Millisecond, 100*time.Millisecond, 50*time.Millisecond
	cfg.JoinBackoffMin, cfg.JoinBackoffMax = 50*time.Millisecond, 500*time.Millisecond
	cfg.EchoInterval, cfg.EchoTimeout, cfg.EchoPeers = 50*time.Millisecond, 200*time.Millisecond, 2
	cfg.DigestInterval = 100 * time.Millisecond
	cfg.Logger = testlog.New(t, slog.LevelError)
	m, err := gossip.New(cfg)
	require.NoError(t, err)
	setup(m)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.Eventually(t, func() bool { return m.Status().State == gossip.StatusRunning }, 5*time.Second, 10*time.Millisecond)
	return m
}

// sidecarDigests makes m send a digest with a failing check and the echo RTT
// it measured to each peer, as the sidecar builds it.
func sidecarDigests(m *gossip.Mesh) {
	m.SetDigestSource(func() Digest {
		now := time.Now()
		d := Digest{Sent: now, Checks: []CheckDigest{
			{Name: "db", Type: "tcp", Result: ResultFailure, LastRun: now, ConsecutiveFailures: 1, Error: "connection refused"},
		}}
		for _, p := range m.Members() {
			if p.LastRTTSeconds != nil && !p.Self {
				d.RTT = append(d.RTT, PeerRTT{Peer: p.Name, Seconds: *p.LastRTTSeconds, At: p.LastRTTAt})
			}
		}
		return d
	})
}

// TestStoreFedByGossip runs a control-plane member and two sidecars on real
// sockets: the sidecars' digests reach the Store through OnDigest, with their
// failing check and the echo RTT they measured to each other.
func TestStoreFedByGossip(t *testing.T) {
	key, err := gossip.NewKey()
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(keyFile, gossip.Keys{key}.Encode(), 0o600))
	store, err := NewStore(DefaultStoreConfig())
	require.NoError(t, err)
	cp := meshMember(t, keyFile, "meshprobe-system", "cp-0", gossip.RoleControlPlane, nil, func(m *gossip.Mesh) { m.OnDigest(store.Observe) })
	seed := []string{cp.Addr().String()}
	meshMember(t, keyFile, "shop", "a", gossip.RoleSidecar, seed, sidecarDigests)
	meshMember(t, keyFile, "shop", "b", gossip.RoleSidecar, seed, sidecarDigests)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- store.Run(ctx, cp, 50*time.Millisecond) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })

	require.Eventually(t, func() bool {
		return len(store.Checks(CheckFilter{Result: ResultFailing})) == 2 && len(store.Members(MemberFilter{State: gossip.StateAlive})) == 3
	}, 15*time.Second, 20*time.Millisecond, "both sidecars' failing checks and all three members")
	for _, m := range store.Members(MemberFilter{Role: gossip.RoleSidecar}) {
		assert.Equal(t, HealthDegraded, m.Health, m.Pod)
		assert.Equal(t, []string{ReasonFailingChecks}, m.Reasons, m.Pod)
	}
	c := store.Checks(CheckFilter{Pod: "a"})[0]
	assert.Equal(t, "connection refused", c.Error)
	assert.Equal(t, "node-a", c.Node)

	var rtt RTTAnswer
	require.Eventually(t, func() bool {
		rtt, err = store.RTT("shop", "a", "shop", "b")
		require.NoError(t, err)
		return rtt.Source == SourceMeasured
	}, 15*time.Second, 20*time.Millisecond, "the echo RTT between a and b, from a digest")
	assert.Greater(t, rtt.Seconds, 0.0)
	assert.Less(t, rtt.Seconds, 0.1, "loopback")
}
