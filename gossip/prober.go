package gossip

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// target is a peer the prober may probe.
type target struct {
	name string
	addr netip.AddrPort
}

// prober runs the active echo rounds. Each round it probes the next `peers`
// peers of a per-cycle rendezvous order, so every peer is probed exactly once per
// cycle of ceil(N/peers) rounds while a round's cost stays fixed.
type prober struct {
	self     string
	peers    int
	interval time.Duration
	timeout  time.Duration
	targets  func() []target
	send     func(p echoPacket, key []byte, to netip.AddrPort) (time.Time, error)
	key      func() []byte
	observe  func(peer string, rtt time.Duration)
	fail     func(peer string)
	log      *slog.Logger

	mu      sync.Mutex
	rng     *rand.Rand
	seq     uint64
	pending map[uint64]*pendingProbe
	cycle   uint64
	probed  map[string]struct{}
}

// pendingProbe is a probe awaiting its echo. rx is set when the echo arrived
// before the sender recorded sent.
type pendingProbe struct {
	peer     string
	addr     netip.AddrPort
	sent, rx time.Time
	hold     time.Duration // the responder's hold time
}

func (p *prober) init() {
	p.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	p.seq = p.rng.Uint64()
	p.cycle = p.rng.Uint64()
	p.pending = make(map[uint64]*pendingProbe)
	p.probed = make(map[string]struct{})
}

// run probes until ctx ends.
func (p *prober) run(ctx context.Context) {
	timer := time.NewTimer(p.jitter())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		p.expire(time.Now())
		p.round()
		timer.Reset(p.jitter())
	}
}

// jitter returns the interval scaled by a random factor in [0.8, 1.2).
func (p *prober) jitter() time.Duration {
	p.mu.Lock()
	f := 0.8 + 0.4*p.rng.Float64()
	p.mu.Unlock()
	return time.Duration(float64(p.interval) * f)
}

// round sends one echo request to each chosen peer.
func (p *prober) round() {
	key := p.key()
	if key == nil {
		return
	}
	for _, t := range p.choose(p.targets()) {
		p.mu.Lock()
		p.seq++
		pkt := echoPacket{kind: echoRequest, seq: p.seq, nonce: p.rng.Uint64()}
		pp := &pendingProbe{peer: t.name, addr: t.addr}
		p.pending[pkt.seq] = pp
		p.mu.Unlock()

		sent, err := p.send(pkt, key, t.addr)
		if err != nil {
			p.log.Debug("gossip: sending an echo probe failed", "peer", t.name, "err", err)
		}
		p.mu.Lock()
		pp.sent = sent
		early := !pp.rx.IsZero()
		if early {
			delete(p.pending, pkt.seq)
		}
		p.mu.Unlock()
		if early {
			p.complete(pp)
		}
	}
}

// choose picks up to p.peers targets not yet probed in this cycle, by
// rendezvous order; when all are probed a new cycle (a new order) starts.
func (p *prober) choose(ts []target) []target {
	p.mu.Lock()
	defer p.mu.Unlock()
	type scored struct {
		t     target
		score uint64
	}
	cands := make([]scored, 0, len(ts))
	for pass := 0; pass < 2 && len(cands) == 0; pass++ {
		if pass == 1 {
			p.cycle++
			clear(p.probed)
		}
		for _, t := range ts {
			if _, done := p.probed[t.name]; !done {
				cands = append(cands, scored{t, rendezvousScore(p.self, t.name, p.cycle)})
			}
		}
	}
	slices.SortFunc(cands, func(a, b scored) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return 0
	})
	out := make([]target, 0, p.peers)
	for _, c := range cands[:min(p.peers, len(cands))] {
		p.probed[c.t.name] = struct{}{}
		out = append(out, c.t)
	}
	return out
}

// onResponse completes the probe an authenticated echo answers.
func (p *prober) onResponse(pkt echoPacket, from netip.AddrPort, rx time.Time) {
	p.mu.Lock()
	pp, ok := p.pending[pkt.seq]
	if !ok || pp.addr != from {
		p.mu.Unlock()
		return
	}
	pp.rx, pp.hold = rx, pkt.hold
	if pp.sent.IsZero() {
		p.mu.Unlock() // the sender completes it once it has recorded sent
		return
	}
	delete(p.pending, pkt.seq)
	p.mu.Unlock()
	p.complete(pp)
}

func (p *prober) complete(pp *pendingProbe) {
	total := pp.rx.Sub(pp.sent)
	if total > p.timeout {
		p.fail(pp.peer)
		return
	}
	rtt := total - pp.hold
	if pp.hold < 0 || pp.hold > total {
		rtt = total // a hold time longer than the round trip is bogus: ignore it
	}
	p.observe(pp.peer, max(rtt, 0))
}

// expire fails the probes that have waited longer than the timeout.
func (p *prober) expire(now time.Time) {
	var failed []string
	p.mu.Lock()
	for seq, pp := range p.pending {
		if !pp.sent.IsZero() && now.Sub(pp.sent) > p.timeout {
			delete(p.pending, seq)
			failed = append(failed, pp.peer)
		}
	}
	p.mu.Unlock()
	for _, peer := range failed {
		p.fail(peer)
	}
}
