package meshview

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Check results, as the sidecar's /api/v1/checks names them.
const (
	ResultSuccess     = "success"
	ResultFailure     = "failure"
	ResultTimeout     = "timeout"
	ResultPending     = "pending"
	ResultStandby     = "standby"
	ResultUnscheduled = "unscheduled"
)

// Results lists every check result, in display order.
var Results = []string{ResultFailure, ResultTimeout, ResultSuccess, ResultPending, ResultStandby, ResultUnscheduled}

// failing reports whether a result counts as a failure.
func failing(result string) bool { return result == ResultFailure || result == ResultTimeout }

// canonicalResult returns the package's constant for a known result (so the
// Store keeps one copy of each), else the result itself.
func canonicalResult(r string) string {
	if i := slices.Index(Results, r); i >= 0 {
		return Results[i]
	}
	return r
}

// Run is one result in a check's history.
type Run struct {
	At     time.Time `json:"at"`
	Result string    `json:"result"`
	Error  string    `json:"error,omitempty"`
}

// checkState is one check of one member: its latest digest and its last runs.
type checkState struct {
	latest  CheckDigest
	history []Run // a ring of at most StoreConfig.History runs
	next    int   // where the next run goes once the ring is full
	// streakStart is the first failing run of the current failure streak that
	// this replica saw, streakSeen how many of the streak's runs it saw.
	streakStart time.Time
	streakSeen  int
}

// record adds a digest's state of the check; a run the ring already holds (the
// same LastRun) or a check that has not run yet adds no run.
func (c *checkState) record(d CheckDigest, size int) {
	d.Result = canonicalResult(d.Result)
	prev := c.latest
	if d.Name == prev.Name && d.Type == prev.Type {
		d.Name, d.Type = prev.Name, prev.Type // keep one copy of each
	}
	c.latest = d
	if d.LastRun.IsZero() || (d.LastRun.Equal(prev.LastRun) && d.Result == prev.Result) {
		return
	}
	run := Run{At: d.LastRun, Result: d.Result, Error: d.Error}
	if last, ok := c.last(); ok && last.Error == run.Error {
		run.Error = last.Error // share the string: errors repeat
	}
	if len(c.history) < size {
		c.history = append(c.history, run)
	} else {
		c.history[c.next] = run
		c.next = (c.next + 1) % size
	}
	switch {
	case !failing(d.Result):
		c.streakStart, c.streakSeen = time.Time{}, 0
	case c.streakSeen == 0:
		c.streakStart, c.streakSeen = d.LastRun, 1
	default:
		c.streakSeen++
	}
}

// newest is the index of the most recent run: just before next once the ring
// has wrapped, else the last one.
func (c *checkState) newest() int {
	if c.next > 0 {
		return c.next - 1
	}
	return len(c.history) - 1
}

// last returns the most recent run in the ring.
func (c *checkState) last() (Run, bool) {
	if len(c.history) == 0 {
		return Run{}, false
	}
	return c.history[c.newest()], true
}

// runs returns at most n runs, the most recent first.
func (c *checkState) runs(n int) []Run {
	n = min(n, len(c.history))
	out := make([]Run, 0, n)
	for i := range n {
		out = append(out, c.history[(c.newest()-i+len(c.history))%len(c.history)])
	}
	return out
}

// recordChecks merges a digest's checks. A check absent from a digest that
// was not truncated was removed from the member's configuration and is
// forgotten; a truncated digest leaves the checks it omits as they were.
func (m *memberState) recordChecks(in []CheckDigest, cfg StoreConfig) {
	seen := make(map[string]bool, len(in))
	for _, d := range in {
		if d.Name == "" || seen[d.Name] {
			continue
		}
		seen[d.Name] = true
		i, found := slices.BinarySearchFunc(m.checks, d.Name, byCheckName)
		if !found {
			if len(m.checks) >= cfg.MaxChecks {
				continue
			}
			m.checks = slices.Insert(m.checks, i, &checkState{history: make([]Run, 0, cfg.History)})
		}
		m.checks[i].record(d, cfg.History)
	}
	if !m.truncated {
		m.checks = slices.DeleteFunc(m.checks, func(c *checkState) bool { return !seen[c.latest.Name] })
	}
}

func byCheckName(c *checkState, name string) int { return strings.Compare(c.latest.Name, name) }

// maxRTTSeconds bounds a believable RTT: larger values are dropped.
const maxRTTSeconds = 60

// recordRTTs merges measured RTTs, keeping per peer the most recent and in all
// the max most recent, in an array of max allocated once. intern returns the
// Store's copy of a peer's name, so that the names the digests repeat are
// kept once.
func (m *memberState) recordRTTs(in []PeerRTT, max int, intern func(string) string) {
	for _, r := range in {
		if r.Peer == "" || r.At.IsZero() || math.IsNaN(r.Seconds) || r.Seconds < 0 || r.Seconds > maxRTTSeconds {
			continue
		}
		if m.rtts == nil {
			m.rtts = make([]PeerRTT, 0, max)
		}
		i := slices.IndexFunc(m.rtts, func(p PeerRTT) bool { return p.Peer == r.Peer })
		switch {
		case i >= 0:
			if r.At.After(m.rtts[i].At) {
				r.Peer = m.rtts[i].Peer
				m.rtts[i] = r
			}
		case len(m.rtts) < max:
			r.Peer = intern(r.Peer)
			m.rtts = append(m.rtts, r)
		default:
			oldest := 0
			for j := range m.rtts {
				if m.rtts[j].At.Before(m.rtts[oldest].At) {
					oldest = j
				}
			}
			if r.At.After(m.rtts[oldest].At) {
				r.Peer = intern(r.Peer)
				m.rtts[oldest] = r
			}
		}
	}
}
