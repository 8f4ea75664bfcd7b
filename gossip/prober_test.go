package gossip

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func targetsN(n int) []target {
	out := make([]target, n)
	for i := range out {
		out[i] = target{name: fmt.Sprintf("ns/pod-%d/00000000", i), addr: netip.MustParseAddrPort(fmt.Sprintf("10.0.0.%d:7946", i%250+1))}
	}
	return out
}

func TestProberCoversEveryPeerOncePerCycle(t *testing.T) {
	for _, n := range []int{1, 7, 50, 500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := &prober{self: "ns/me/00000000", peers: 3}
			p.init()
			ts := targetsN(n)
			rounds := (n + 2) / 3
			for c := range 3 {
				seen := map[string]int{}
				for range rounds {
					picked := p.choose(ts)
					assert.LessOrEqual(t, len(picked), 3, "a round never probes more than EchoPeers")
					for _, tg := range picked {
						seen[tg.name]++
					}
				}
				assert.Len(t, seen, n, "cycle %d covers every peer", c)
				for name, k := range seen {
					assert.Equal(t, 1, k, "cycle %d probes %s once", c, name)
				}
			}
		})
	}
}

func TestProberOrderDiffersPerMemberAndCycle(t *testing.T) {
	ts := targetsN(100)
	first := func(self string) string {
		p := &prober{self: self, peers: 1}
		p.init()
		p.cycle = 42
		return p.choose(ts)[0].name
	}
	firsts := map[string]bool{}
	for i := range 20 {
		firsts[first(fmt.Sprintf("ns/member-%d/00000000", i))] = true
	}
	assert.Greater(t, len(firsts), 10, "members start their cycles at different peers")
	assert.NotEqual(t, rendezvousScore("a", "b", 1), rendezvousScore("a", "b", 2))
	assert.Equal(t, rendezvousScore("a", "b", 1), rendezvousScore("a", "b", 1))
}

func TestProberRecordsRTTAndFailures(t *testing.T) {
	var mu sync.Mutex
	rtts := map[string]time.Duration{}
	fails := map[string]int{}
	var sent []echoPacket
	base := time.Unix(1000, 0)
	ts := targetsN(2)
	p := &prober{
		self: "me", peers: 2, interval: time.Second, timeout: 100 * time.Millisecond,
		targets: func() []target { return ts },
		key:     func() []byte { return make([]byte, 32) },
		send: func(pk echoPacket, _ []byte, _ netip.AddrPort) (time.Time, error) {
			sent = append(sent, pk)
			return base, nil
		},
		observe: func(peer string, rtt time.Duration) { mu.Lock(); rtts[peer] = rtt; mu.Unlock() },
		fail:    func(peer string) { mu.Lock(); fails[peer]++; mu.Unlock() },
		log:     slog.New(slog.DiscardHandler),
	}
	p.init()
	p.round()
	require.Len(t, sent, 2)
	byName := map[uint64]target{}
	for _, pk := range sent {
		assert.Equal(t, byte(echoRequest), pk.kind)
		byName[pk.seq] = p.pendingTarget(t, pk.seq)
	}
	answered := byName[sent[0].seq]
	// A response from the wrong address is ignored.
	p.onResponse(echoPacket{kind: echoResponse, seq: sent[0].seq}, netip.MustParseAddrPort("10.9.9.9:1"), base.Add(time.Millisecond))
	// The responder held the request 50 µs: that is not network time.
	p.onResponse(echoPacket{kind: echoResponse, seq: sent[0].seq, hold: 50 * time.Microsecond}, answered.addr, base.Add(250*time.Microsecond))
	p.expire(base.Add(time.Second))

	other := byName[sent[1].seq]
	assert.Equal(t, map[string]time.Duration{answered.name: 200 * time.Microsecond}, rtts)
	assert.Equal(t, map[string]int{other.name: 1}, fails, "the unanswered probe failed once")
	assert.Empty(t, p.pending)
}

// pendingTarget returns the target of a pending probe.
func (p *prober) pendingTarget(t *testing.T, seq uint64) target {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	pp, ok := p.pending[seq]
	require.True(t, ok)
	return target{name: pp.peer, addr: pp.addr}
}

func TestProberIgnoresBogusHold(t *testing.T) {
	var got time.Duration
	p := &prober{timeout: time.Second, observe: func(_ string, rtt time.Duration) { got = rtt }, fail: func(string) { t.Error("not a failure") }}
	base := time.Unix(1000, 0)
	p.complete(&pendingProbe{peer: "x", sent: base, rx: base.Add(100 * time.Microsecond), hold: time.Millisecond})
	assert.Equal(t, 100*time.Microsecond, got, "a hold longer than the round trip is ignored")
}

func TestEchoPacketAuthentication(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	pkt := appendEcho(nil, echoPacket{kind: echoRequest, seq: 7, nonce: 9, hold: 1234}, k2)
	require.Len(t, pkt, echoLen)
	assert.True(t, isEcho(pkt))

	got, key, ok := parseEcho(pkt, [][]byte{k1, k2})
	require.True(t, ok, "any key of the ring verifies")
	assert.Equal(t, echoPacket{kind: echoRequest, seq: 7, nonce: 9, hold: 1234}, got)
	assert.Equal(t, k2, key)

	_, _, ok = parseEcho(pkt, [][]byte{k1})
	assert.False(t, ok, "a packet under an unknown key is refused")
	tampered := append([]byte(nil), pkt...)
	tampered[5] ^= 1
	_, _, ok = parseEcho(tampered, [][]byte{k2})
	assert.False(t, ok, "a tampered packet is refused")
	_, _, ok = parseEcho(pkt[:20], [][]byte{k2})
	assert.False(t, ok, "a short packet is refused")
}

func FuzzParseEcho(f *testing.F) {
	key := make([]byte, 32)
	f.Add(appendEcho(nil, echoPacket{kind: echoResponse, seq: 1}, key))
	f.Add([]byte{echoMagic})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, ok := parseEcho(b, [][]byte{key})
		if ok {
			// Only a packet that re-encodes to itself authenticates.
			assert.Equal(t, b, appendEcho(nil, p, key))
		}
	})
}
