package gossip

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// A digest is a member's small, versioned, bounded summary of its checks and of
// the RTT it measured, sent every DigestInterval to the alive control-plane
// members only (README "Digests"), so the control plane holds a cluster view
// from gossip alone while each member's cost stays constant.

// DigestVersion is the digest wire format version (the second byte, after the
// message-type byte).
const DigestVersion = 1

// MaxDigestBytes is the budget of one encoded digest, message-type and version
// bytes included: with memberlist's overhead (user-message and CRC headers,
// AES-GCM version, nonce and tag) it fits one UDP packet of 1,400 bytes.
const MaxDigestBytes = 1200

// DefaultDigestInterval is Config.DigestInterval's default.
const DefaultDigestInterval = 10 * time.Second

// Digest is what one member tells the control plane about itself.
type Digest struct {
	// Member is the sender's member name; the receiver refuses a digest whose
	// Member is not the member at the address it came from.
	Member string
	// Sent is when the digest was built (millisecond precision on the wire).
	Sent time.Time
	// Checks are the member's checks, failing ones first, truncated to fit.
	Checks []CheckDigest
	// RTT is the latest echo RTT to the peers this member probed, most recent
	// first, truncated to fit.
	RTT []PeerRTT
	// Coord is the member's Vivaldi network coordinate (Coordinate, from
	// Mesh.Coordinate), nil when unknown.
	Coord *Coordinate
	// Truncated is set when something was left out to fit MaxDigestBytes.
	Truncated bool
}

// CheckDigest summarises one check.
type CheckDigest struct {
	Name string
	Type string
	// Result is the last result: success, failure, timeout, pending, standby
	// or unscheduled.
	Result string
	// LastRun and LastSuccess are zero when the check never ran or never
	// succeeded.
	LastRun, LastSuccess time.Time
	// ConsecutiveFailures counts the failed runs since the last success.
	ConsecutiveFailures int
	// Error is the last run's error, cut to MaxDigestErrorBytes.
	Error string
}

// PeerRTT is the latest echo RTT this member measured to one peer.
type PeerRTT struct {
	// Peer is the peer's member name.
	Peer string
	// Seconds is the RTT (nanosecond precision on the wire).
	Seconds float64
	// At is when it was measured.
	At time.Time
}

// digestState holds a member's digest hooks. Its zero value has none.
type digestState struct {
	mu      sync.RWMutex
	source  func() Digest
	receive func(from Member, d Digest)
	// sources keeps the source address of received digests until memberlist
	// delivers them; metrics counts what was sent, received and refused.
	sources digestSources
	metrics digestMetrics
}

// SetDigestSource makes this member send the digest that source builds to the
// alive control-plane members every DigestInterval (sidecars and agents). It is
// called from the sending goroutine and must return quickly. Nil stops sending.
func (m *Mesh) SetDigestSource(source func() Digest) {
	m.digest.mu.Lock()
	defer m.digest.mu.Unlock()
	m.digest.source = source
}

// OnDigest makes this member accept digests (the control plane): receive is
// called with the sending member and its digest, for every valid digest, from
// memberlist's message goroutine, so it must not block. Nil refuses digests.
func (m *Mesh) OnDigest(receive func(from Member, d Digest)) {
	m.digest.mu.Lock()
	defer m.digest.mu.Unlock()
	m.digest.receive = receive
}

// EchoRTT returns the latest echo RTT to each live peer measured at or after
// since, most recent first: what a digest source puts in Digest.RTT.
func (m *Mesh) EchoRTT(since time.Time) []PeerRTT {
	return m.stats.echoRTT(since)
}

func (s *stats) echoRTT(since time.Time) []PeerRTT {
	s.mu.Lock()
	out := make([]PeerRTT, 0, len(s.peers))
	for name, p := range s.peers {
		if !p.lastEchoAt.IsZero() && !p.lastEchoAt.Before(since) {
			out = append(out, PeerRTT{Peer: name, Seconds: p.lastEcho.Seconds(), At: p.lastEchoAt})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b PeerRTT) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(a.Peer, b.Peer)
	})
	return out
}
