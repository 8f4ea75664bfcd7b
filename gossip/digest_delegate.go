package gossip

import (
	"crypto/sha256"
	"errors"
	"net/netip"
	"sync"
)

// memberlist's message types that a digest packet's plaintext starts with
// (memberlist's net.go; their values are part of its protocol).
const (
	mlUserMsg   = 8
	mlHasCrcMsg = 12
	mlCrcBytes  = 4
)

// maxPendingDigests bounds the digests whose source address is kept until
// memberlist hands them to NotifyMsg.
const maxPendingDigests = 1024

// receiveDigest handles a user message memberlist received (NotifyMsg): a
// digest from the member at the address it came from, for the receiver set
// with OnDigest. Anything else is refused and counted.
func (m *Mesh) receiveDigest(b []byte) {
	from, known := m.digest.sources.take(b)
	m.digest.mu.RLock()
	receive := m.digest.receive
	m.digest.mu.RUnlock()
	if receive == nil {
		m.digest.metrics.refuse(m.log, DigestRefusedUnwanted, errors.New("this member takes no digests"))
		return
	}
	d, err := DecodeDigest(b)
	if err != nil {
		reason := digestRefusal(err)
		if reason == DigestRefusedVersion {
			m.versions.refuse(FormatDigest, err, "peer", from.String())
		}
		m.digest.metrics.refuse(m.log, reason, err)
		return
	}
	sender, ok := m.stats.memberAt(d.Member, from)
	if !known || !ok {
		m.digest.metrics.refuse(m.log, DigestRefusedSender, errors.New("the digest's member is not the live member at its source address"),
			"member", d.Member, "source", from.String())
		return
	}
	m.digest.metrics.received.Add(1)
	receive(sender, d)
}

// digestRefusal is the refusal reason of a DecodeDigest error.
func digestRefusal(err error) string {
	switch {
	case errors.Is(err, ErrDigestSize):
		return DigestRefusedSize
	case errors.Is(err, ErrNotDigest):
		return DigestRefusedType
	case errors.Is(err, ErrUnsupportedVersion):
		return DigestRefusedVersion
	}
	return DigestRefusedMalformed
}

// tapDigest is the Transport's packet tap: it sees the plaintext of every UDP
// packet an installed key authenticated, and records the source address of
// those that carry a digest, which memberlist's NotifyMsg does not give.
func (m *Mesh) tapDigest(plain []byte, from netip.AddrPort) {
	if len(plain) > 0 && plain[0] == mlHasCrcMsg {
		if len(plain) < 1+mlCrcBytes {
			return
		}
		plain = plain[1+mlCrcBytes:]
	}
	if len(plain) < 2 || plain[0] != mlUserMsg || plain[1] != digestMsgType {
		return
	}
	m.digest.sources.record(plain[1:], from)
}

// stats.memberAt returns the live peer named name if its address is addr.
func (s *stats) memberAt(name string, addr netip.AddrPort) (Member, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[name]
	if !ok || p.addr != addr {
		return Member{}, false
	}
	mem := Member{Name: name, Addr: p.addr.String(), State: StateAlive, Meta: p.meta, ProbeFailures: p.failures}
	if p.failing > 0 {
		mem.State = StateSuspect
	}
	return mem, true
}

// digestSources keeps the source address of digests the Transport saw until
// memberlist delivers them, keyed by their SHA-256 (memberlist hands messages
// over last-in first-out, so their order does not say which is which). At most
// maxPendingDigests are kept: the oldest go first (memberlist dropped them).
// Safe for concurrent use; the zero value is ready.
type digestSources struct {
	mu      sync.Mutex
	seq     uint64
	pending map[[sha256.Size]byte][]sourced
	order   []sourcedKey
}

type sourced struct {
	from netip.AddrPort
	seq  uint64
}

type sourcedKey struct {
	key [sha256.Size]byte
	seq uint64
}

func (s *digestSources) record(msg []byte, from netip.AddrPort) {
	key := sha256.Sum256(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = make(map[[sha256.Size]byte][]sourced)
	}
	s.seq++
	s.pending[key] = append(s.pending[key], sourced{from: from, seq: s.seq})
	s.order = append(s.order, sourcedKey{key: key, seq: s.seq})
	for len(s.order) > maxPendingDigests {
		s.drop(s.order[0])
		s.order = s.order[1:]
	}
}

// drop forgets one recorded source, if it is still pending.
func (s *digestSources) drop(k sourcedKey) {
	list := s.pending[k.key]
	for i, src := range list {
		if src.seq == k.seq {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.pending, k.key)
		return
	}
	s.pending[k.key] = list
}

// take returns and forgets the source of msg, oldest first, and whether there
// was one.
func (s *digestSources) take(msg []byte) (netip.AddrPort, bool) {
	key := sha256.Sum256(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.pending[key]
	if len(list) == 0 {
		return netip.AddrPort{}, false
	}
	s.drop(sourcedKey{key: key, seq: list[0].seq})
	return list[0].from, true
}
