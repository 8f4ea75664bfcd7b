package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOwnerPeerNodes: every member sees the same owner peers with their nodes,
// itself included; other owners are not listed; a member that leaves drops out
// of the others' lists and of its own.
func TestOwnerPeerNodes(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	nodes := []string{"worker-1", "worker-2", "infra-1", "worker-3"}
	ms := startCluster(t, 4, kf, func(i int, c *Config) {
		c.Meta.Node, c.Meta.OwnerKind, c.Meta.OwnerName = nodes[i], "DaemonSet", "meshprobe-agent"
		if i == 3 {
			c.Meta.OwnerName = "other"
		}
	})
	waitConverged(t, ms, 4)

	want := map[string]string{ms[0].LocalName(): "worker-1", ms[1].LocalName(): "worker-2", ms[2].LocalName(): "infra-1"}
	for _, m := range ms {
		assert.Equal(t, want, m.OwnerPeerNodes("ns", "DaemonSet", "meshprobe-agent"), m.LocalName())
	}
	assert.Equal(t, map[string]string{ms[3].LocalName(): "worker-3"}, ms[3].OwnerPeerNodes("ns", "DaemonSet", "other"))
	assert.Empty(t, ms[0].OwnerPeerNodes("other-ns", "DaemonSet", "meshprobe-agent"))

	ms[1].stop() // graceful leave
	delete(want, ms[1].LocalName())
	require.Eventually(t, func() bool {
		return assert.ObjectsAreEqual(want, ms[0].OwnerPeerNodes("ns", "DaemonSet", "meshprobe-agent")) &&
			assert.ObjectsAreEqual(want, ms[2].OwnerPeerNodes("ns", "DaemonSet", "meshprobe-agent"))
	}, 15*time.Second, 20*time.Millisecond, "the departed member drops out")
	assert.NotContains(t, ms[1].OwnerPeerNodes("ns", "DaemonSet", "meshprobe-agent"), ms[1].LocalName(), "a stopped member does not list itself")
}

// TestOwnerPeerNodesAlone: before it runs and before joining anyone a member
// lists itself, as OwnerPeers does.
func TestOwnerPeerNodesAlone(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	cfg := testConfig(t, "ns/solo/00000001", kf)
	cfg.Meta.OwnerKind, cfg.Meta.OwnerName = "Deployment", "web"
	m, err := New(cfg)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"ns/solo/00000001": "node-a"}, m.OwnerPeerNodes("ns", "Deployment", "web"), "not started yet")
	assert.Equal(t, []string{"ns/solo/00000001"}, m.OwnerPeers("ns", "Deployment", "web"), "the same set as OwnerPeers")
	r := startMesh(t, cfg)
	require.Eventually(t, func() bool { return len(r.OwnerPeerNodes("ns", "Deployment", "web")) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]string{"ns/solo/00000001": "node-a"}, r.OwnerPeerNodes("ns", "Deployment", "web"))
	assert.Equal(t, []string{"ns/solo/00000001"}, r.OwnerPeers("ns", "Deployment", "web"), "the same set as OwnerPeers")
}
