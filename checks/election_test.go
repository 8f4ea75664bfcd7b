package checks

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// agents is a DaemonSet of node agents, one per node, named after the node.
var agents = map[string]string{
	"agent-w1": "worker-1", "agent-w2": "worker-2", "agent-w3": "worker-3",
	"agent-i1": "infra-1", "agent-i2": "infra-2",
}

// agentElection is the election of the agent on node, among peers.
func agentElection(self string, peers map[string]string) election {
	return election{membership: &staticMembership{self: self, peers: peers},
		namespace: "meshprobe-system", ownerKind: "DaemonSet", ownerName: "meshprobe-agent", node: peers[self]}
}

// runners returns the members of peers that run check name with runOn, each
// deciding on its own as the agents do.
func runners(t *testing.T, peers map[string]string, name string, runOn spec.RunOn) []string {
	t.Helper()
	var out []string
	for _, self := range slices.Sorted(maps.Keys(peers)) {
		if d := agentElection(self, peers).decide(name, runOn); d.run {
			out = append(out, self)
		} else {
			assert.NotEmpty(t, d.reason, "%s: a member that does not run %s says why", self, name)
		}
	}
	return out
}

func TestElectionEveryMatchingNode(t *testing.T) {
	for runOn, want := range map[spec.RunOn][]string{
		spec.RunOnAll:       {"agent-i1", "agent-i2", "agent-w1", "agent-w2", "agent-w3"},
		spec.RunOnEveryNode: {"agent-i1", "agent-i2", "agent-w1", "agent-w2", "agent-w3"},
		"worker*":           {"agent-w1", "agent-w2", "agent-w3"},
		"*-1":               {"agent-i1", "agent-w1"},
		"nothing*":          nil,
	} {
		assert.Equal(t, want, runners(t, agents, "c", runOn), runOn)
	}
}

func TestElectionOneMatchingNode(t *testing.T) {
	for _, tc := range []struct {
		runOn    spec.RunOn
		matching []string
	}{
		{spec.RunOnOne, slices.Sorted(maps.Keys(agents))},
		{spec.RunOnAnyNode, slices.Sorted(maps.Keys(agents))},
		{"worker$", []string{"agent-w1", "agent-w2", "agent-w3"}},
		{"infra-*$", []string{"agent-i1", "agent-i2"}},
		{"worker-2$", []string{"agent-w2"}},
	} {
		seen := map[string]bool{}
		for i := range 40 {
			name := fmt.Sprintf("check-%d", i)
			got := runners(t, agents, name, tc.runOn)
			require.Len(t, got, 1, "%s %s: exactly one runner", tc.runOn, name)
			assert.Contains(t, tc.matching, got[0], "%s: the runner is on a matching node", tc.runOn)
			seen[got[0]] = true
		}
		assert.Len(t, seen, len(tc.matching), "%s: checks spread over every matching member", tc.runOn)
	}
}

// TestElectionFailover: when the runner of a one-node check leaves, the next
// election moves the check to another matching member, never to one whose node
// does not match; with no matching member left, no one runs it.
func TestElectionFailover(t *testing.T) {
	peers := maps.Clone(agents)
	const name = "db"
	first := runners(t, peers, name, "worker$")
	require.Len(t, first, 1)
	delete(peers, first[0])
	second := runners(t, peers, name, "worker$")
	require.Len(t, second, 1)
	assert.NotEqual(t, first, second)
	assert.Contains(t, []string{"agent-w1", "agent-w2", "agent-w3"}, second[0])

	for member, node := range peers {
		if node != "infra-1" && node != "infra-2" {
			delete(peers, member)
		}
	}
	assert.Empty(t, runners(t, peers, name, "worker$"))
	d := agentElection("agent-i1", peers).decide(name, "worker$")
	assert.Equal(t, decision{state: StateUnscheduled,
		reason: "not scheduled here: node infra-1 does not match worker$; no live member on a matching node"}, d)
}

func TestElectionReasons(t *testing.T) {
	winner := Rendezvous("meshprobe-system/DaemonSet/meshprobe-agent/c", []string{"agent-w1", "agent-w2", "agent-w3"})
	loser := "agent-w1"
	if winner == loser {
		loser = "agent-w2"
	}
	noPeers := election{node: "infra-1"}
	leaving := maps.Clone(agents)
	delete(leaving, "agent-w3")
	for _, tc := range []struct {
		name string
		e    election
		r    spec.RunOn
		want decision
	}{
		{"node does not match a glob", agentElection("agent-i1", agents), "worker*",
			decision{state: StateUnscheduled, reason: "not scheduled here: node infra-1 does not match worker*"}},
		{"node does not match a prefix, the runner is named", agentElection("agent-i1", agents), "worker$",
			decision{state: StateUnscheduled, runner: winner, reason: "not scheduled here: node infra-1 does not match worker$; runs on member " + winner}},
		{"another member runs it", agentElection(loser, agents), "worker$",
			decision{state: StateStandby, runner: winner, reason: "standby; runs on member " + winner}},
		{"the winner runs it", agentElection(winner, agents), "worker$", decision{run: true, runner: winner}},
		{"a leaving member", election{membership: &staticMembership{self: "agent-w3", peers: leaving}, namespace: "meshprobe-system",
			ownerKind: "DaemonSet", ownerName: "meshprobe-agent", node: "worker-3"}, "worker-3$",
			decision{state: StateStandby, reason: "standby: this member is leaving the mesh; no live member on a matching node"}},
		{"unknown node", election{}, "worker*",
			decision{state: StateUnscheduled, reason: "not scheduled here: this member's node is unknown (NODE_NAME unset), so it does not match worker*"}},
		{"unknown node, every node", election{}, "*", decision{run: true}},
		{"no owner, node matches", noPeers, "infra-*$", decision{run: true}},
		{"no owner, node does not match", noPeers, "worker$",
			decision{state: StateUnscheduled, reason: "not scheduled here: node infra-1 does not match worker$"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.e.decide("c", tc.r))
		})
	}
}

// TestElectionUsesTheMeshView: for elected checks a member decides from the
// node the mesh announces for it, as its peers do, so they agree even when
// its own Config.Node disagrees.
func TestElectionUsesTheMeshView(t *testing.T) {
	e := agentElection("agent-w1", map[string]string{"agent-w1": "worker-1"})
	e.node = ""
	assert.True(t, e.decide("c", "worker$").run)
}

func TestElectionRunOnOne(t *testing.T) {
	t.Run("no owner runs locally", func(t *testing.T) {
		e := election{membership: &staticMembership{self: "a"}, namespace: "ns"}
		assert.True(t, e.decide("c", spec.RunOnOne).run)
	})
	t.Run("no membership runs locally", func(t *testing.T) {
		e := election{namespace: "ns", ownerKind: "Deployment", ownerName: "web"}
		assert.True(t, e.decide("c", spec.RunOnOne).run)
	})
	t.Run("exactly one of the replicas runs each check, and all name it", func(t *testing.T) {
		names := []string{"a", "b", "c"}
		for i := range 30 {
			check := fmt.Sprintf("check-%d", i)
			runners := 0
			var elected []string
			for _, self := range names {
				e := election{membership: &staticMembership{self: self, peers: onNode("", names...)}, namespace: "ns", ownerKind: "Deployment", ownerName: "web"}
				d := e.decide(check, spec.RunOnOne)
				elected = append(elected, d.runner)
				if d.run {
					runners++
				}
			}
			require.Equal(t, 1, runners, check)
			assert.Equal(t, elected[0], elected[1])
			assert.Equal(t, elected[1], elected[2])
		}
	})
	t.Run("alone, a replica runs everything", func(t *testing.T) {
		e := election{membership: &staticMembership{self: "a", peers: onNode("n", "a")}, namespace: "ns", ownerKind: "StatefulSet", ownerName: "db"}
		assert.Equal(t, decision{run: true, runner: "a"}, e.decide("c", spec.RunOnOne))
	})
	t.Run("a leaving replica, absent from its own list, runs nothing", func(t *testing.T) {
		for _, peers := range []map[string]string{nil, onNode("n", "b")} {
			e := election{membership: &staticMembership{self: "a", peers: peers}, namespace: "ns", ownerKind: "StatefulSet", ownerName: "db"}
			for i := range 20 {
				d := e.decide(fmt.Sprintf("c%d", i), spec.RunOnOne)
				assert.False(t, d.run)
				assert.Equal(t, StateStandby, d.state)
			}
		}
	})
}
