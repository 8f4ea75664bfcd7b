package gossip

import (
	"slices"
	"strings"
	"time"
)

// Member states, as reported by Members and the meshprobe_gossip_members{state}
// gauge. "suspect" is this member's own view: a live member whose latest echo
// probes from here failed.
const (
	StateAlive   = "alive"
	StateSuspect = "suspect"
	StateDead    = "dead"
	StateLeft    = "left"
)

// States lists every member state, in display order.
var States = []string{StateAlive, StateSuspect, StateDead, StateLeft}

// Member is a snapshot of one member as this member sees it.
type Member struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	State string `json:"state"`
	Self  bool   `json:"self,omitempty"`
	Meta  Meta   `json:"meta"`
	// LastRTTSeconds is the latest echo RTT, LastSWIMRTTSeconds the latest from
	// memberlist's probes; absent until measured.
	LastRTTSeconds     *float64  `json:"lastRttSeconds,omitempty"`
	LastRTTAt          time.Time `json:"lastRttAt,omitzero"`
	LastSWIMRTTSeconds *float64  `json:"lastSwimRttSeconds,omitempty"`
	ProbeFailures      uint64    `json:"probeFailures"`
	// Since is when a dead or left member was seen to go.
	Since time.Time `json:"since,omitzero"`
}

// HasKey reports whether the member announced the key with this fingerprint.
func (m Member) HasKey(fingerprint string) bool {
	return slices.Contains(m.Meta.Keys, strings.ToLower(fingerprint))
}

// snapshot returns the live peers and the departed members, sorted by name.
func (s *stats) snapshot() []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Member, 0, len(s.peers)+len(s.departed))
	for name, p := range s.peers {
		m := Member{Name: name, Addr: p.addr.String(), State: StateAlive, Meta: p.meta, ProbeFailures: p.failures}
		if p.failing > 0 {
			m.State = StateSuspect
		}
		if !p.lastEchoAt.IsZero() {
			m.LastRTTSeconds, m.LastRTTAt = ptr(p.lastEcho.Seconds()), p.lastEchoAt
		}
		if !p.lastSWIMAt.IsZero() {
			m.LastSWIMRTTSeconds = ptr(p.lastSWIM.Seconds())
		}
		out = append(out, m)
	}
	for name, d := range s.departed {
		out = append(out, Member{Name: name, Addr: d.addr.String(), State: d.state, Meta: d.meta, Since: d.at})
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// live returns the live peers' names and metadata, sorted by name.
func (s *stats) live() []Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Member, 0, len(s.peers))
	for name, p := range s.peers {
		out = append(out, Member{Name: name, Meta: p.meta, State: StateAlive})
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// targets returns the live peers the prober may probe.
func (s *stats) targets() []target {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]target, 0, len(s.peers))
	for name, p := range s.peers {
		if p.addr.IsValid() {
			out = append(out, target{name: name, addr: p.addr})
		}
	}
	return out
}

// deadPeers returns the failed (not departed by choice) members.
func (s *stats) deadPeers() []target {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []target
	for name, d := range s.departed {
		if d.state == StateDead && d.addr.IsValid() {
			out = append(out, target{name: name, addr: d.addr})
		}
	}
	return out
}

// counts returns the number of peers per state (self not included).
func (s *stats) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(States))
	for _, st := range States {
		out[st] = 0
	}
	for _, p := range s.peers {
		if p.failing > 0 {
			out[StateSuspect]++
		} else {
			out[StateAlive]++
		}
	}
	for _, d := range s.departed {
		out[d.state]++
	}
	return out
}

// numPeers returns how many live peers there are.
func (s *stats) numPeers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

func ptr[T any](v T) *T { return &v }
