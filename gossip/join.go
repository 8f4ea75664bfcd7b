package gossip

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// seedRefreshEvery: every this many reconnect ticks with no failed member to try,
// the member re-joins one seed address, which merges halves of a mesh that a
// long partition split for good.
const seedRefreshEvery = 10

// resolveTimeout bounds one DNS lookup of a seed.
const resolveTimeout = 5 * time.Second

// joinLoop joins the seeds while the member is alone (exponential backoff with
// jitter between attempts) and, every ReconnectInterval, tries to rejoin one
// failed member, or now and then a seed.
func (m *Mesh) joinLoop(ctx context.Context) {
	backoff := m.cfg.JoinBackoffMin
	nextJoin := time.Now()
	nextReconnect := time.Now().Add(jittered(m.cfg.ReconnectInterval))
	ticks := 0
	tick := time.NewTicker(m.cfg.JoinBackoffMin)
	defer tick.Stop()
	for {
		now := time.Now()
		switch {
		case m.stats.numPeers() > 0:
			backoff, nextJoin = m.cfg.JoinBackoffMin, now
		case len(m.cfg.Join) > 0 && !now.Before(nextJoin):
			if m.joinSeeds(ctx, false) && m.stats.numPeers() > 0 {
				backoff = m.cfg.JoinBackoffMin
			} else {
				backoff = min(2*backoff, m.cfg.JoinBackoffMax)
			}
			nextJoin = now.Add(jittered(backoff))
		}
		if !now.Before(nextReconnect) {
			ticks++
			if !m.reconnect() && ticks%seedRefreshEvery == 0 {
				m.joinSeeds(ctx, true)
			}
			nextReconnect = now.Add(jittered(m.cfg.ReconnectInterval))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// joinSeeds resolves the seeds and joins them (all addresses, or one at random
// when oneOnly); it reports whether any answered.
func (m *Mesh) joinSeeds(ctx context.Context, oneOnly bool) bool {
	addrs := m.resolveSeeds(ctx)
	if len(addrs) == 0 {
		m.log.Warn("gossip: no seed address to join; reporting alone", "seeds", m.cfg.Join)
		return false
	}
	if oneOnly {
		addrs = []string{addrs[rand.IntN(len(addrs))]}
	}
	ml := m.memberlist()
	if ml == nil {
		return false
	}
	n, err := ml.Join(addrs)
	if err != nil {
		m.log.Warn("gossip: joining the mesh failed; retrying with backoff", "seeds", addrs, "err", err)
		return false
	}
	m.log.Info("gossip: joined the mesh", "contacted", n, "members", m.stats.numPeers()+1)
	return true
}

// resolveSeeds returns "ip:port" for every address of every seed, except this
// member's own.
func (m *Mesh) resolveSeeds(ctx context.Context) []string {
	self := m.Addr()
	var out []string
	for _, seed := range m.cfg.Join {
		host, portStr, err := net.SplitHostPort(seed)
		if err != nil {
			m.log.Warn("gossip: invalid seed; want host:port", "seed", seed, "err", err)
			continue
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			m.log.Warn("gossip: invalid seed port", "seed", seed)
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		ips, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
		cancel()
		if err != nil {
			m.log.Warn("gossip: resolving seed failed", "seed", seed, "err", err)
			continue
		}
		for _, ip := range ips {
			ap := netip.AddrPortFrom(ip.Unmap(), uint16(port))
			if ap != self {
				out = append(out, hostPort(ap))
			}
		}
	}
	return out
}

// reconnect tries to rejoin one random failed member; it reports whether there
// was one to try.
func (m *Mesh) reconnect() bool {
	dead := m.stats.deadPeers()
	ml := m.memberlist()
	if len(dead) == 0 || ml == nil {
		return false
	}
	t := dead[rand.IntN(len(dead))]
	if _, err := ml.Join([]string{hostPort(t.addr)}); err != nil {
		m.log.Debug("gossip: reconnecting to a failed member failed", "member", t.name, "err", err)
	} else {
		m.log.Info("gossip: reconnected to a failed member", "member", t.name)
	}
	return true
}

// jittered scales d by a random factor in [0.8, 1.2).
func jittered(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
