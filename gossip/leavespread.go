package gossip

import (
	"math"
	"time"
)

// leaveSpread is how long a leaving member waits, after its Leaving metadata
// went out and before memberlist's leave message follows it, so that the
// metadata reaches every member first. memberlist's leave message replaces a
// queued update of the same member in the forwarders' queues, and a member
// that gets the leave without the update cannot tell a leave from a failure
// (NotifyLeave does not say): it would report the member dead. Forwarders
// retransmit a message for at most RetransmitMult*ceil(log10(n+1)) gossip
// rounds, memberlist's own bound for a broadcast to reach the mesh; waiting
// that long lets the update finish spreading. It is capped at half of
// LeaveTimeout, which the leave itself needs too.
func leaveSpread(members int, cfg Config) time.Duration {
	mc := cfg.memberlistConfig() // the timings the running member was built with
	rounds := mc.RetransmitMult * int(math.Ceil(math.Log10(float64(members+1))))
	return min(time.Duration(rounds)*mc.GossipInterval, cfg.LeaveTimeout/2)
}
