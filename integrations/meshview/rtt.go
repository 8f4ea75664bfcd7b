package meshview

import (
	"errors"
	"fmt"
	"time"

	"github.com/meshprobe/meshprobe/gossip"
)

// Where an RTT comes from.
const (
	// SourceMeasured is an echo RTT one of the two members measured to the
	// other within StoreConfig.MeasuredMaxAge.
	SourceMeasured = "measured"
	// SourceEstimated is the RTT the members' Vivaldi coordinates predict.
	SourceEstimated = "estimated"
	// SourceUnknown says neither is available; Reason says why.
	SourceUnknown = "unknown"
)

// ErrNotFound is returned, wrapped, for a pod no member claims.
var ErrNotFound = errors.New("not found")

// PodRef names a pod and the member that runs in it.
type PodRef struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Member    string `json:"member"`
	Node      string `json:"node,omitempty"`
	State     string `json:"state"`
}

// RTTAnswer is the RTT between two pods.
type RTTAnswer struct {
	From    PodRef  `json:"from"`
	To      PodRef  `json:"to"`
	Source  string  `json:"source"`
	Seconds float64 `json:"seconds,omitempty"`
	// MeasuredAt and MeasuredBy (the member that measured it) are set for a
	// measured RTT.
	MeasuredAt time.Time `json:"measuredAt,omitzero"`
	MeasuredBy string    `json:"measuredBy,omitempty"`
	// EstimateError is the sum of both coordinates' error estimates (0 to 3,
	// lower is better) for an estimated RTT.
	EstimateError float64 `json:"estimateError,omitempty"`
	Reason        string  `json:"reason,omitempty"`
}

// RTT answers the RTT between the pods namespace/pod from and to: measured
// when either member measured the other recently, else estimated from their
// coordinates. A pod no member claims is an error wrapping ErrNotFound.
func (s *Store) RTT(fromNS, fromPod, toNS, toPod string) (RTTAnswer, error) {
	now := s.cfg.Clock.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, b := s.byPod(fromNS, fromPod), s.byPod(toNS, toPod)
	switch {
	case a == nil:
		return RTTAnswer{}, fmt.Errorf("from: no member runs in pod %s/%s: %w", fromNS, fromPod, ErrNotFound)
	case b == nil:
		return RTTAnswer{}, fmt.Errorf("to: no member runs in pod %s/%s: %w", toNS, toPod, ErrNotFound)
	}
	ans := RTTAnswer{From: a.ref(), To: b.ref(), Source: SourceUnknown}
	if r, by, ok := s.measured(a, b, now); ok {
		ans.Source, ans.Seconds, ans.MeasuredAt, ans.MeasuredBy = SourceMeasured, r.Seconds, r.At, by
		return ans, nil
	}
	ca, cb := s.coord(a), s.coord(b)
	if est := estimateRTT(ca, cb); est > 0 {
		ans.Source, ans.Seconds, ans.EstimateError = SourceEstimated, est.Seconds(), ca.Error+cb.Error
		return ans, nil
	}
	ans.Reason = "no measurement within " + s.cfg.MeasuredMaxAge.String() + " and no coordinates for both members"
	return ans, nil
}

// measured returns the most recent RTT either member measured to the other
// within MeasuredMaxAge, and which one measured it. Callers hold mu.
func (s *Store) measured(a, b *memberState, now time.Time) (PeerRTT, string, bool) {
	var best PeerRTT
	var by string
	for _, pair := range [2][2]*memberState{{a, b}, {b, a}} {
		for _, r := range pair[0].rtts {
			if r.Peer == pair[1].name && now.Sub(r.At) <= s.cfg.MeasuredMaxAge && r.At.After(best.At) {
				best, by = r, pair[0].name
			}
		}
	}
	return best, by, by != ""
}

// coord is a member's coordinate: its digest's, else Coords'. Callers hold mu.
func (s *Store) coord(m *memberState) *Coordinate {
	if m.coord != nil {
		return m.coord
	}
	if s.cfg.Coords != nil {
		if c, ok := s.cfg.Coords(m.name); ok {
			return c
		}
	}
	return nil
}

// byPod returns the member running in namespace/pod: a live one before a gone
// one, then the one with the latest digest. Callers hold mu.
func (s *Store) byPod(namespace, pod string) *memberState {
	var best *memberState
	for _, m := range s.members {
		if m.meta.Namespace != namespace || m.meta.Pod != pod {
			continue
		}
		if best == nil || better(m, best) {
			best = m
		}
	}
	return best
}

// better reports whether a is a better answer for its pod than b.
func better(a, b *memberState) bool {
	if la, lb := a.live(), b.live(); la != lb {
		return la
	}
	return a.digestAt.After(b.digestAt)
}

func (m *memberState) live() bool {
	return m.state == gossip.StateAlive || m.state == gossip.StateSuspect
}

func (m *memberState) ref() PodRef {
	return PodRef{Namespace: m.meta.Namespace, Pod: m.meta.Pod, Member: m.name, Node: m.meta.Node, State: m.state}
}
