package meshview

import (
	"slices"
	"time"
)

// ResultFailing selects, in a CheckFilter, the checks whose latest result is
// failure or timeout.
const ResultFailing = "failing"

// CheckView is one check of one member, with its last runs.
type CheckView struct {
	Member    string `json:"member"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Node      string `json:"node,omitempty"`
	App       string `json:"app,omitempty"`
	// MemberState is the member's gossip state: the results of a dead or left
	// member are its last ones.
	MemberState string    `json:"memberState"`
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Result      string    `json:"result"`
	Error       string    `json:"error,omitempty"`
	LastRun     time.Time `json:"lastRun,omitzero"`
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	// ConsecutiveFailures is the member's count of failing runs in a row.
	ConsecutiveFailures int `json:"consecutiveFailures"`
	// FailingSince is the first run of the current failure streak this
	// replica saw; FailingSinceExact is false when the streak began before it
	// (after LastSuccess, before FailingSince).
	FailingSince      time.Time `json:"failingSince,omitzero"`
	FailingSinceExact bool      `json:"failingSinceExact,omitempty"`
	// History is the last runs, the most recent first.
	History []Run `json:"history"`
}

// CheckFilter selects checks; an empty field matches all. Result may be
// ResultFailing.
type CheckFilter struct {
	Namespace, App, Check, Result, Node, Pod string
	// History bounds the runs returned per check (0: none).
	History int
}

func (f CheckFilter) matchMember(m *memberState) bool {
	return matches(f.Namespace, m.meta.Namespace) && matches(f.App, m.meta.App) &&
		matches(f.Node, m.meta.Node) && matches(f.Pod, m.meta.Pod)
}

func (f CheckFilter) matchCheck(c *checkState) bool {
	if !matches(f.Check, c.latest.Name) {
		return false
	}
	if f.Result == ResultFailing {
		return failing(c.latest.Result)
	}
	return matches(f.Result, c.latest.Result)
}

// Checks returns the checks f selects: failing ones first, then by namespace,
// pod and check name.
func (s *Store) Checks(f CheckFilter) []CheckView {
	s.mu.RLock()
	var out []CheckView
	for _, m := range s.members {
		if !f.matchMember(m) {
			continue
		}
		for _, c := range m.checks {
			if f.matchCheck(c) {
				out = append(out, c.view(m, f.History))
			}
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b CheckView) int {
		if fa, fb := failing(a.Result), failing(b.Result); fa != fb {
			if fa {
				return -1
			}
			return 1
		}
		return cmpStrings(a.Namespace, b.Namespace, a.Pod, b.Pod, a.Name, b.Name, a.Member, b.Member)
	})
	return out
}

// view is the check's CheckView. Callers hold the Store's lock.
func (c *checkState) view(m *memberState, history int) CheckView {
	d := c.latest
	v := CheckView{Member: m.name, Namespace: m.meta.Namespace, Pod: m.meta.Pod, Node: m.meta.Node, App: m.meta.App,
		MemberState: m.state, Name: d.Name, Type: d.Type, Result: d.Result, Error: d.Error,
		LastRun: d.LastRun, LastSuccess: d.LastSuccess, ConsecutiveFailures: d.ConsecutiveFailures,
		History: c.runs(history)}
	if failing(d.Result) && c.streakSeen > 0 {
		v.FailingSince, v.FailingSinceExact = c.streakStart, c.streakSeen >= d.ConsecutiveFailures
	}
	return v
}
