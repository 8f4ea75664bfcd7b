package gossip

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// TestMeshMembersOnDifferentPorts: the webhook moves a sidecar's gossip port
// when the app uses the default one, while the seed (the gossip Service) keeps
// its port. Each member advertises its own port, so two members that only know
// the seed find each other at their own ports, gossip and echo-probe each other.
func TestMeshMembersOnDifferentPorts(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	ports := []int{freeport.TCPAndUDP(t), freeport.TCPAndUDP(t), freeport.TCPAndUDP(t)}
	require.Len(t, map[int]bool{ports[0]: true, ports[1]: true, ports[2]: true}, 3)

	seedCfg := testConfig(t, "meshprobe-system/seed/00000000", kf)
	seedCfg.BindPort = ports[0]
	seed := startMesh(t, seedCfg)
	seedAddr := waitRunning(t, seed)

	members := []*running{seed}
	for i, name := range []string{"shop/loki-0/00000001", "shop/web-0/00000002"} {
		cfg := testConfig(t, name, kf)
		cfg.BindPort = ports[i+1]
		cfg.Join = []string{seedAddr}
		members = append(members, startMesh(t, cfg))
	}
	waitConverged(t, members, 3)

	a, b := members[1], members[2]
	assert.Equal(t, uint16(ports[1]), a.Addr().Port())
	assert.Equal(t, uint16(ports[2]), b.Addr().Port())
	require.Eventually(t, func() bool {
		peer, ok := memberNamed(a, b.LocalName())
		return ok && peer.LastRTTSeconds != nil
	}, 10*time.Second, 20*time.Millisecond, "a echo-probes b at b's own port")
	peer, _ := memberNamed(a, b.LocalName())
	assert.Equal(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(ports[2])).String(), peer.Addr)
}

// memberNamed returns the member of r's list with this name.
func memberNamed(r *running, name string) (Member, bool) {
	for _, m := range r.Members() {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}
