//go:build linux

package ui_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/meshview"
)

// The simulated cluster the browser tests show: 1,000 members on 8 nodes in 2
// zones, fed into a real meshview.Store as the control plane feeds it (the
// membership list, then ten rounds of digests).
const (
	clusterNodes   = 8
	clusterMembers = 1000
	digestRounds   = 10
	digestInterval = 10 * time.Second
)

var namespaces = []string{"checkout", "payments", "search", "catalog", "auth", "web", "orders", "inventory", "shipping", "analytics"}

// Fixed points of the cluster the tests assert on.
const (
	failingCheck = "payments-api"
	failingError = "GET http://payments-api.payments:8080/healthz: dial tcp 10.96.14.2:8080: connect: connection refused"
	failingNode  = "node-2"
)

type cluster struct {
	store   *meshview.Store
	members []gossip.Member
}

func nodeName(i int) string { return fmt.Sprintf("node-%d", i+1) }
func zoneOf(node int) string {
	if node < clusterNodes/2 {
		return "zone-a"
	}
	return "zone-b"
}

// newCluster builds the store: control plane, one agent per node, sidecars.
// The store's clock stands still at the last digest, so however slowly the
// browser loads the page, the digests stay recent and the RTTs measured.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	now := time.Now()
	cfg := meshview.DefaultStoreConfig()
	cfg.Clock = clocktesting.NewFakePassiveClock(now)
	store, err := meshview.NewStore(cfg)
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	c := &cluster{store: store}
	add := func(ns, pod, role, owner string, node int) {
		meta := gossip.Meta{Pod: pod, Namespace: ns, Node: nodeName(node), Zone: zoneOf(node), Role: role,
			OwnerKind: "Deployment", OwnerName: owner, App: owner, Agent: "v0.18.0"}
		if role == gossip.RoleAgent {
			meta.OwnerKind = "DaemonSet"
		}
		name := gossip.MemberName(ns, pod, fmt.Sprintf("%08x", len(c.members)))
		c.members = append(c.members, gossip.Member{Name: name, Addr: fmt.Sprintf("10.244.%d.%d:14100", node, len(c.members)%250+2),
			State: gossip.StateAlive, Meta: meta})
	}
	for i := range 2 {
		add("meshprobe-system", fmt.Sprintf("meshprobe-control-plane-7d9f-%d", i), gossip.RoleControlPlane, "meshprobe-control-plane", i)
	}
	for n := range clusterNodes {
		add("meshprobe-system", "meshprobe-agent-"+nodeName(n), gossip.RoleAgent, "meshprobe-agent", n)
	}
	for i := 0; len(c.members) < clusterMembers; i++ {
		ns := namespaces[i%len(namespaces)]
		app := ns + "-api"
		add(ns, fmt.Sprintf("%s-%04d", app, i/len(namespaces)), gossip.RoleSidecar, app, i%clusterNodes)
	}
	c.members[100].State = gossip.StateSuspect
	c.members[200].State, c.members[200].Since = gossip.StateDead, time.Now().Add(-3*time.Minute)
	store.Sync(c.members)
	c.digests(now)
	return c
}

// failing says whether a member's payments-api check fails: the payments
// pods on node-2 cannot reach the payments API.
func failing(m gossip.Member) bool {
	return m.Meta.Namespace == "payments" && m.Meta.Node == failingNode
}

// digests sends digestRounds rounds of digests, the last one at now.
func (c *cluster) digests(now time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range digestRounds {
		at := now.Add(-time.Duration(digestRounds-1-round) * digestInterval)
		for i, m := range c.members {
			if m.Meta.Role == gossip.RoleControlPlane || m.State == gossip.StateDead {
				continue
			}
			c.store.Observe(m, c.digest(i, round, at, rng))
		}
	}
}

func (c *cluster) digest(i, round int, at time.Time, rng *rand.Rand) meshview.Digest {
	m := c.members[i]
	d := meshview.Digest{Member: m.Name, Sent: at, Coord: coordinate(m), Checks: []meshview.CheckDigest{
		{Name: "cluster-dns", Type: "dns", Result: "success", LastRun: at, LastSuccess: at},
	}}
	api := meshview.CheckDigest{Name: failingCheck, Type: "http", Result: "success", LastRun: at, LastSuccess: at}
	if failing(m) && round >= 4 { // failing for the last 6 runs
		api.Result, api.Error, api.ConsecutiveFailures = "failure", failingError, round-3
		api.LastSuccess = at.Add(-time.Duration(round-3) * digestInterval)
	}
	if m.Meta.Role == gossip.RoleSidecar {
		d.Checks = append(d.Checks, api)
	}
	// Each member measures the member after it and one on the next node.
	for _, j := range []int{(i + 1) % len(c.members), (i + clusterNodes + 1) % len(c.members)} {
		p := c.members[j]
		if p.Meta.Zone != m.Meta.Zone { // cross-zone pairs are left to the coordinates
			continue
		}
		d.RTT = append(d.RTT, meshview.PeerRTT{Peer: p.Name, Seconds: baseRTT(m, p) * (0.9 + 0.2*rng.Float64()), At: at})
	}
	return d
}

// baseRTT is the cluster's latency: 80 µs on a node, 400 µs across nodes of a
// zone, 2.5 ms across zones.
func baseRTT(a, b gossip.Member) float64 {
	switch {
	case a.Meta.Node == b.Meta.Node:
		return 80e-6
	case a.Meta.Zone == b.Meta.Zone:
		return 400e-6
	}
	return 2.5e-3
}

// coordinate places zone-b 2.5 ms from zone-a, nodes 0.2 ms apart.
func coordinate(m gossip.Member) *meshview.Coordinate {
	vec := make([]float64, 8)
	var node int
	_, _ = fmt.Sscanf(m.Meta.Node, "node-%d", &node)
	vec[1] = float64(node%4) * 0.2e-3 / 2
	if m.Meta.Zone == "zone-b" {
		vec[0] = 2.5e-3
	}
	return &meshview.Coordinate{Vec: vec, Error: 0.2, Height: 10e-6}
}
