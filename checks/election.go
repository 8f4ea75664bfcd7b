package checks

import (
	"fmt"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// StateUnscheduled is the lastResult of a check that this member never runs:
// its node does not match the check's runOn node pattern.
const StateUnscheduled = "unscheduled"

// election decides whether this member runs a check, from its runOn.
type election struct {
	membership Membership
	namespace  string
	ownerKind  string
	ownerName  string
	// node is this member's node name ("" when unknown).
	node string
}

// decision is the outcome of an election for one run.
type decision struct {
	// run is true when this member runs the check now.
	run bool
	// runner is the member elected to run a one-member check, "" when every
	// selected member runs it or the pod is its owner's only replica.
	runner string
	// state is StateStandby or StateUnscheduled when run is false.
	state string
	// reason says why this member does not run the check.
	reason string
}

// decide elects the runner of check name. A check that every selected member
// runs (all, *, glob) runs here when this member's node matches. A check that
// one member runs (one, $, prefix$, glob$) runs on the member that wins
// rendezvous hashing of <namespace>/<ownerKind>/<ownerName>/<check> among the
// live owner peers whose node matches. A pod without an owner, or a member
// without membership, is its owner's only replica.
func (e election) decide(name string, runOn spec.RunOn) decision {
	if !runOn.One() || e.membership == nil || e.ownerKind == "" {
		if !runOn.Selects(e.node) {
			return decision{state: StateUnscheduled, reason: notScheduled(e.node, runOn)}
		}
		return decision{run: true}
	}
	self := e.membership.LocalName()
	peers := e.membership.OwnerPeerNodes(e.namespace, e.ownerKind, e.ownerName)
	node, present := peers[self]
	if !present {
		node = e.node
	}
	candidates := make([]string, 0, len(peers))
	for member, n := range peers {
		if runOn.Selects(n) {
			candidates = append(candidates, member)
		}
	}
	winner := Rendezvous(e.namespace+"/"+e.ownerKind+"/"+e.ownerName+"/"+name, candidates)
	switch {
	case !runOn.Selects(node):
		return decision{runner: winner, state: StateUnscheduled, reason: notScheduled(node, runOn) + runsOn(winner)}
	case !present:
		return decision{runner: winner, state: StateStandby, reason: "standby: this member is leaving the mesh" + runsOn(winner)}
	case winner != self:
		return decision{runner: winner, state: StateStandby, reason: "standby" + runsOn(winner)}
	}
	return decision{run: true, runner: winner}
}

// notScheduled says why a member on node does not run a check with runOn.
func notScheduled(node string, runOn spec.RunOn) string {
	if node == "" {
		return fmt.Sprintf("not scheduled here: this member's node is unknown (NODE_NAME unset), so it does not match %s", runOn)
	}
	return fmt.Sprintf("not scheduled here: node %s does not match %s", node, runOn)
}

// runsOn names the elected member for a reason, if there is one.
func runsOn(winner string) string {
	if winner == "" {
		return "; no live member on a matching node"
	}
	return "; runs on member " + winner
}
