package gossip

import (
	"bytes"
	"errors"
	"net/netip"
	"time"

	"github.com/hashicorp/memberlist"
)

// delegate hands memberlist this member's metadata and takes the digests other
// members send it (user messages). meshprobe sends no state of its own over
// memberlist.
type delegate struct{ m *Mesh }

// NodeMeta implements memberlist.Delegate.
func (d delegate) NodeMeta(limit int) []byte {
	d.m.mu.RLock()
	defer d.m.mu.RUnlock()
	if len(d.m.metaBytes) > limit {
		return nil
	}
	return bytes.Clone(d.m.metaBytes)
}

// NotifyMsg implements memberlist.Delegate: digests (digest_delegate.go).
func (d delegate) NotifyMsg(b []byte) { d.m.receiveDigest(b) }

// GetBroadcasts implements memberlist.Delegate.
func (delegate) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState implements memberlist.Delegate.
func (delegate) LocalState(bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (delegate) MergeRemoteState([]byte, bool) {}

// events keeps the Mesh's view of the membership. memberlist calls it with its
// node lock held, so it only copies what it needs and never calls back.
type events struct{ m *Mesh }

// NotifyJoin implements memberlist.EventDelegate.
func (e events) NotifyJoin(n *memberlist.Node) { e.upsert(n) }

// NotifyUpdate implements memberlist.EventDelegate.
func (e events) NotifyUpdate(n *memberlist.Node) { e.upsert(n) }

// memberGoneMsg is logged, with the member and state "left" or "dead", when a
// member leaves the local view.
const memberGoneMsg = "gossip: member gone"

// NotifyLeave implements memberlist.EventDelegate. memberlist does not say here
// whether the member failed or left (Node.State is not set), so a member
// announces Meta.Leaving before it leaves, and is reported left; others dead.
func (e events) NotifyLeave(n *memberlist.Node) {
	if n.Name == e.m.cfg.Name {
		return
	}
	state := e.m.stats.depart(n.Name, time.Now())
	e.m.coords.forget(n.Name)
	e.m.log.Info(memberGoneMsg, "member", n.Name, "state", state)
}

func (e events) upsert(n *memberlist.Node) {
	if n.Name == e.m.cfg.Name {
		return
	}
	meta, err := e.m.wire.decodeMeta(n.Meta)
	if errors.Is(err, ErrUnsupportedVersion) {
		// A member of a later major version: ignored like invalid metadata, and
		// counted apart, so an upgrade that skipped a step shows.
		e.m.versions.refuse(FormatMeta, err, "member", n.Name)
		e.m.stats.forget(n.Name)
		return
	}
	if err != nil {
		// A member that says nothing valid about itself is ignored: not listed,
		// not probed, not in the metrics, until it announces valid metadata.
		e.m.invalidMeta.Add(1)
		e.m.stats.forget(n.Name)
		e.m.log.Debug("gossip: member ignored: invalid metadata", "member", n.Name, "err", err)
		return
	}
	addr, _ := netip.AddrFromSlice(n.Addr)
	e.m.stats.upsert(n.Name, netip.AddrPortFrom(addr.Unmap(), n.Port), meta)
}

// pings records the RTT of memberlist's own probes.
type pings struct{ m *Mesh }

// AckPayload implements memberlist.PingDelegate: this member's Vivaldi coordinate.
func (p pings) AckPayload() []byte { return p.m.coords.ackPayload() }

// NotifyPingComplete implements memberlist.PingDelegate: the RTT, and the
// peer's coordinate in its ack payload.
func (p pings) NotifyPingComplete(other *memberlist.Node, rtt time.Duration, payload []byte) {
	p.m.stats.observe(other.Name, ProbeSWIM, rtt, time.Now())
	p.m.coords.observeAck(other.Name, payload, rtt)
}
