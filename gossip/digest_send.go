package gossip

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/hashicorp/memberlist"
)

// digestLoop installs the Transport's digest tap and, when DigestInterval is
// set, sends this member's digest (if it has a source) to every alive
// control-plane member every DigestInterval ±10 %, until ctx ends.
func (m *Mesh) digestLoop(ctx context.Context) {
	m.mu.RLock()
	tr, ml := m.transport, m.ml
	m.mu.RUnlock()
	tr.setPacketTap(m.tapDigest)
	if m.cfg.DigestInterval <= 0 {
		return
	}
	timer := time.NewTimer(digestJitter(m.cfg.DigestInterval))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			m.sendDigest(ml)
			timer.Reset(digestJitter(m.cfg.DigestInterval))
		}
	}
}

// digestJitter scales d by a random factor in [0.9, 1.1).
func digestJitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// sendDigest builds, encodes and sends one digest, if this member has a source
// and a control-plane member is alive.
func (m *Mesh) sendDigest(ml *memberlist.Memberlist) {
	m.digest.mu.RLock()
	source := m.digest.source
	m.digest.mu.RUnlock()
	if source == nil {
		return
	}
	to := m.stats.liveWithRole(RoleControlPlane)
	if len(to) == 0 {
		return
	}
	d := source()
	d.Member = m.cfg.Name
	if d.Sent.IsZero() {
		d.Sent = time.Now()
	}
	b, err := d.Encode()
	if err != nil {
		m.digest.metrics.encodeFailed(m.log, err)
		return
	}
	m.digest.metrics.size.Store(uint64(len(b)))
	for _, node := range to {
		if err := ml.SendBestEffort(node, b); err != nil {
			m.log.Debug("gossip: sending a digest failed", "to", node.Name, "err", err)
			continue
		}
		m.digest.metrics.sent.Add(1)
		m.digest.metrics.sentBytes.Add(uint64(len(b)))
	}
}

// liveWithRole returns the live peers that announce role, as memberlist nodes
// to send to.
func (s *stats) liveWithRole(role string) []*memberlist.Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*memberlist.Node
	for name, p := range s.peers {
		if p.meta.Role == role && p.addr.IsValid() {
			out = append(out, &memberlist.Node{Name: name, Addr: p.addr.Addr().AsSlice(), Port: p.addr.Port()})
		}
	}
	return out
}
