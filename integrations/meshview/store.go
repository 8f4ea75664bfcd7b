package meshview

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/meshprobe/meshprobe/gossip"
)

// Membership is what the Store reads of the control plane's gossip member;
// *gossip.Mesh implements it, safely for concurrent use.
type Membership interface {
	Members() []gossip.Member
}

// Store is the cluster view of one control-plane replica: every member the
// gossip member knows, with the checks and RTTs of its latest digests. It is
// fed by Observe (Mesh.OnDigest) and Sync (the membership), and is safe for
// concurrent use. Every read answers from memory.
type Store struct {
	cfg StoreConfig

	mu      sync.RWMutex
	members map[string]*memberState
	refused uint64 // digests and listed members refused at MaxMembers
}

// memberState is what the Store knows of one member.
type memberState struct {
	name     string
	addr     string
	meta     gossip.Meta // without key fingerprints
	state    string
	since    time.Time // when a dead or left member went
	goneAt   time.Time // when it left the membership list; zero while listed
	verdict  string    // Verify's reason, "" when trusted or unverified
	verified bool

	digestAt   time.Time // when this replica received the latest digest
	digestSent time.Time
	truncated  bool
	checks     []*checkState // sorted by name
	rtts       []PeerRTT     // the most recent per peer, at most MaxPeerRTTs
	coord      *Coordinate
}

// NewStore returns an empty Store.
func NewStore(cfg StoreConfig) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Store{cfg: cfg, members: map[string]*memberState{}}, nil
}

// Observe records a digest from a member (the Mesh.OnDigest callback): its
// checks' results, measured RTTs and coordinate.
func (s *Store) Observe(from gossip.Member, d Digest) {
	now := s.cfg.Clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.member(from)
	if m == nil {
		s.refused++
		return
	}
	m.digestAt, m.digestSent, m.truncated = now, d.Sent, d.Truncated
	if d.Coord != nil {
		c := *d.Coord
		c.Vec = append([]float64(nil), d.Coord.Vec...)
		m.coord = &c
	}
	m.recordChecks(d.Checks, s.cfg)
	m.recordRTTs(d.RTT, s.cfg.MaxPeerRTTs, s.intern)
}

// intern returns the name of the member called name as the Store holds it,
// else name. Callers hold mu.
func (s *Store) intern(name string) string {
	if m, ok := s.members[name]; ok {
		return m.name
	}
	return name
}

// member returns the state of from, created (and its identity refreshed)
// when there is room; nil when MaxMembers are kept already. Callers hold mu.
func (s *Store) member(from gossip.Member) *memberState {
	m, ok := s.members[from.Name]
	if !ok {
		if len(s.members) >= s.cfg.MaxMembers {
			return nil
		}
		m = &memberState{name: from.Name, state: gossip.StateAlive}
		s.members[from.Name] = m
	}
	if from.Addr != "" {
		m.addr = from.Addr
	}
	if from.Meta.Namespace != "" || from.Meta.Pod != "" {
		m.meta = from.Meta
		m.meta.Keys = nil
	}
	return m
}

// Sync brings the members' states up to date with the membership list, marks
// the members no longer listed as gone and forgets those gone longer than
// GoneRetention.
func (s *Store) Sync(list []gossip.Member) {
	now := s.cfg.Clock.Now()
	verdicts := s.verify(list)
	s.mu.Lock()
	defer s.mu.Unlock()
	listed := make(map[string]bool, len(list))
	for i, mem := range list {
		m := s.member(mem)
		if m == nil {
			s.refused++
			continue
		}
		listed[mem.Name] = true
		m.state, m.since, m.goneAt = mem.State, mem.Since, time.Time{}
		m.verified, m.verdict = false, ""
		if verdicts != nil {
			m.verified, m.verdict = verdicts[i].known, verdicts[i].reason
		}
	}
	for name, m := range s.members {
		if listed[name] {
			continue
		}
		if m.goneAt.IsZero() {
			m.goneAt = now
			if m.state == gossip.StateAlive || m.state == gossip.StateSuspect {
				m.state, m.since = gossip.StateDead, now
			}
		}
		if now.Sub(m.goneAt) > s.cfg.GoneRetention {
			s.forget(m)
		}
	}
}

// verdict is what Verify said of one member.
type verdict struct {
	reason string
	known  bool
}

// verify runs Verify on every listed member, outside the lock (it reads the
// pod cache); nil without Verify. The control plane's own member is trusted.
func (s *Store) verify(list []gossip.Member) []verdict {
	if s.cfg.Verify == nil {
		return nil
	}
	out := make([]verdict, len(list))
	for i, m := range list {
		out[i].known = true
		if !m.Self {
			out[i].reason, out[i].known = s.cfg.Verify(m)
		}
	}
	return out
}

// forget drops a member. Callers hold mu.
func (s *Store) forget(m *memberState) { delete(s.members, m.name) }

// Run syncs the Store with the membership every interval until ctx ends.
func (s *Store) Run(ctx context.Context, mesh Membership, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("meshview: sync interval %v must be positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Sync(mesh.Members())
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Len returns how many members the Store keeps, gone ones included, and how
// many digests and listed members it refused at MaxMembers.
func (s *Store) Len() (members int, refused uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.members), s.refused
}
