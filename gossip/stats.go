package gossip

import (
	"net/netip"
	"sort"
	"sync"
	"time"
)

// RTTBuckets are the upper bounds, in seconds, of meshprobe_gossip_rtt_seconds:
// 50 µs (two pods on one node) up to 1 s (a struggling link).
var RTTBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1,
}

// Probe sources, the values of the probe label.
const (
	ProbeEcho = "echo" // the active UDP echo prober
	ProbeSWIM = "swim" // memberlist's failure-detector probes
)

// histogram is a cumulative histogram over RTTBuckets.
type histogram struct {
	counts []uint64 // per bucket, not cumulative
	count  uint64
	sum    float64
}

func (h *histogram) observe(v float64) {
	if h.counts == nil {
		h.counts = make([]uint64, len(RTTBuckets))
	}
	i := sort.SearchFloat64s(RTTBuckets, v)
	if i < len(RTTBuckets) {
		h.counts[i]++
	}
	h.count++
	h.sum += v
}

// cumulative returns the buckets as Prometheus wants them.
func (h *histogram) cumulative() map[float64]uint64 {
	out := make(map[float64]uint64, len(RTTBuckets))
	var acc uint64
	for i, ub := range RTTBuckets {
		if h.counts != nil {
			acc += h.counts[i]
		}
		out[ub] = acc
	}
	return out
}

// series holds the metric values of one label set.
type series struct {
	echo, swim histogram
	failures   uint64
}

// peer is the Mesh's record of one live member.
type peer struct {
	addr       netip.AddrPort
	meta       Meta
	labels     labelSet
	lastEcho   time.Duration
	lastEchoAt time.Time
	lastSWIM   time.Duration
	lastSWIMAt time.Time
	failures   uint64
	// failing counts the echo probes that failed since the last success; a live
	// peer with failing > 0 is reported as suspect.
	failing uint64
}

// departed is a member that failed or left, kept for DepartedRetention.
type departed struct {
	meta  Meta
	state string
	at    time.Time
	addr  netip.AddrPort
}

// stats tracks live peers, departed members and RTT series. Peers are added and
// removed by memberlist's event delegate; samples for unknown peers are dropped.
type stats struct {
	mu       sync.Mutex
	labeler  *labeler
	peers    map[string]*peer
	departed map[string]departed
	series   map[labelSet]*series
}

func newStats(l *labeler) *stats {
	return &stats{
		labeler:  l,
		peers:    make(map[string]*peer),
		departed: make(map[string]departed),
		series:   make(map[labelSet]*series),
	}
}

// relabel recomputes every live peer's label set after this member's own node
// or zone changed; series of label sets no peer has any more go at the next prune.
func (s *stats) relabel(self Meta) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.labeler.setSelf(self)
	for _, p := range s.peers {
		p.labels = s.labeler.labels(p.meta)
		s.seriesFor(p.labels)
	}
}

// upsert records a joined or updated live member.
func (s *stats) upsert(name string, addr netip.AddrPort, m Meta) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.departed, name)
	p, ok := s.peers[name]
	if !ok {
		p = &peer{}
		s.peers[name] = p
	}
	p.addr, p.meta, p.labels = addr, m, s.labeler.labels(m)
	s.seriesFor(p.labels) // pre-initialise the label set
}

// depart moves a member from the live set to the departed list, as left when it
// announced its leave, else as dead, and returns that state.
func (s *stats) depart(name string, now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[name]
	if !ok {
		return ""
	}
	delete(s.peers, name)
	state := StateDead
	if p.meta.Leaving {
		state = StateLeft
	}
	s.departed[name] = departed{meta: p.meta, state: state, at: now, addr: p.addr}
	return state
}

// observe adds an RTT sample for a live peer.
func (s *stats) observe(name, probe string, rtt time.Duration, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.peers[name]
	if !ok {
		return
	}
	sr := s.seriesFor(p.labels)
	if probe == ProbeSWIM {
		p.lastSWIM, p.lastSWIMAt = rtt, now
		sr.swim.observe(rtt.Seconds())
		return
	}
	p.lastEcho, p.lastEchoAt, p.failing = rtt, now, 0
	sr.echo.observe(rtt.Seconds())
}

// fail counts a failed echo probe for a live peer.
func (s *stats) fail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.peers[name]; ok {
		p.failures++
		p.failing++
		s.seriesFor(p.labels).failures++
	}
}

func (s *stats) seriesFor(ls labelSet) *series {
	sr, ok := s.series[ls]
	if !ok {
		sr = &series{}
		s.series[ls] = sr
	}
	return sr
}

// prune drops departed members older than retention, and the series of label
// sets that no live peer has any more, so a label set that comes back starts
// from zero (a clean counter reset).
func (s *stats) prune(now time.Time, retention time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, d := range s.departed {
		if now.Sub(d.at) > retention {
			delete(s.departed, name)
		}
	}
	live := s.liveLabelsLocked()
	for ls := range s.series {
		if !live[ls] {
			delete(s.series, ls)
		}
	}
	s.labeler.retain(live)
}

// liveLabelsLocked returns the label sets live peers have; the caller holds mu.
func (s *stats) liveLabelsLocked() map[labelSet]bool {
	live := make(map[labelSet]bool, len(s.series))
	for _, p := range s.peers {
		live[p.labels] = true
	}
	return live
}

// seriesSnap is a copy of one label set's series.
type seriesSnap struct {
	labels labelSet
	series
}

// seriesSnapshot copies the series of the label sets that live peers have.
func (s *stats) seriesSnapshot() []seriesSnap {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.liveLabelsLocked()
	out := make([]seriesSnap, 0, len(live))
	for ls, sr := range s.series {
		if !live[ls] {
			continue
		}
		cp := *sr
		cp.echo.counts = append([]uint64(nil), sr.echo.counts...)
		cp.swim.counts = append([]uint64(nil), sr.swim.counts...)
		out = append(out, seriesSnap{labels: ls, series: cp})
	}
	return out
}
