package reconciler

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
)

// plan is one pass's view of the account and the actions it decides on.
type plan struct {
	cfg     Config
	owned   map[string][]client.HTTPServerTest // this install's marker ID -> tests, by testId
	markers map[string]Marker                  // testId -> marker, for this install's tests
	legacy  map[string]client.HTTPServerTest   // marker ID -> test with a marker without install
	unowned []client.HTTPServerTest            // tests without a marker
	byName  map[string]client.HTTPServerTest

	urlCount  map[string]int    // declarations per URL in this pass
	nameOwner map[string]string // testName -> source key that owns it (owners.go)
	declared  map[string]bool   // marker IDs declared by valid sources
	adopted   map[string]bool   // testIds taken over in this pass
	live      map[string]bool   // keys of sources that exist (valid or not)
	deletedBy map[string]Source // keys of deleted sources
	res       Result
	delta     int // change in the number of owned tests by this pass's writes
}

func newPlan(cfg Config, actual []client.HTTPServerTest) *plan {
	p := &plan{
		cfg: cfg, owned: map[string][]client.HTTPServerTest{}, markers: map[string]Marker{},
		legacy: map[string]client.HTTPServerTest{}, byName: map[string]client.HTTPServerTest{},
		urlCount: map[string]int{}, nameOwner: map[string]string{}, declared: map[string]bool{},
		adopted: map[string]bool{}, live: map[string]bool{}, deletedBy: map[string]Source{},
		res: Result{Sources: map[string]*SourceResult{}},
	}
	p.classify(actual)
	return p
}

func lessID(a, b string) bool {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return x < y
	}
	return a < b
}

func (p *plan) source(ns, name string) *SourceResult {
	key := ns + "/" + name
	r := p.res.Sources[key]
	if r == nil {
		r = &SourceResult{Namespace: ns, Name: name}
		p.res.Sources[key] = r
	}
	return r
}

func (p *plan) add(r *SourceResult, a *Action) {
	a.DryRun = r.DryRun
	r.Actions = append(r.Actions, a)
}

// countURLs records how many declarations in this pass use each URL, for adopt.
func (p *plan) countURLs(sources []Source) {
	for _, s := range sources {
		if !declares(s) {
			continue
		}
		for _, t := range s.File.HTTPTests {
			p.urlCount[t.URL]++
		}
	}
}

// declare plans creates and updates for a valid source, then its prune.
func (p *plan) declare(ctx context.Context, n *names, pass uint64, s Source) {
	r := p.source(s.Namespace, s.Name)
	r.DryRun, r.Declared = s.File.DryRun, len(s.File.HTTPTests)
	key := s.Key()
	mine := map[string]bool{}
	for i := range s.File.HTTPTests {
		t := &s.File.HTTPTests[i]
		id := TestID(s.Namespace, s.Name, t.TestName)
		p.declared[id], mine[id] = true, true
		where := fmt.Sprintf("httpTests[%d] (%q)", i, t.TestName)
		if c, ok := p.ownerConflict(where, key, t.TestName); ok {
			r.Conflicts = append(r.Conflicts, c)
			continue
		}
		req, err := n.request(ctx, pass, t)
		if err != nil {
			r.Errs = append(r.Errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		hash := Hash(req)
		desc := Describe(t.Description, Marker{ID: id, Hash: hash, Install: p.cfg.Install})
		req.Description = &desc
		p.planTest(r, where, id, hash, req)
	}
	if s.File.Prune || p.cfg.Prune {
		p.prune(r, key, mine)
	}
}

// planTest decides what one declared test needs.
func (p *plan) planTest(r *SourceResult, where, id, hash string, req *client.HTTPServerTestRequest) {
	if existing := p.owned[id]; len(existing) > 0 {
		cur := existing[0]
		if reason := p.diff(cur, hash, req); reason != "" {
			p.add(r, &Action{Op: OpUpdate, TestName: req.TestName, TestID: cur.TestID, Reason: reason, req: req})
		} else {
			r.Unchanged++
		}
		return
	}
	if legacy, ok := p.legacy[id]; ok {
		p.add(r, &Action{Op: OpAdopt, TestName: req.TestName, TestID: legacy.TestID, Reason: "marker without install identity, declared by this ConfigMap", req: req})
		return
	}
	if p.cfg.AdoptByURL {
		if cand, ok := p.adoptable(req.URL); ok {
			p.adopted[cand.TestID] = true
			p.add(r, &Action{Op: OpAdopt, TestName: req.TestName, TestID: cand.TestID, Reason: "unmarked test with the same URL", req: req})
			return
		}
	}
	if other, taken := p.byName[req.TestName]; taken {
		r.Conflicts = append(r.Conflicts, heldConflict(where, other))
		return
	}
	p.add(r, &Action{Op: OpCreate, TestName: req.TestName, Reason: "new", req: req})
}

// adoptable returns the one unmarked test with this URL, when exactly one
// declaration in the pass uses the URL and exactly one unmarked test has it.
func (p *plan) adoptable(url string) (client.HTTPServerTest, bool) {
	if p.urlCount[url] != 1 {
		return client.HTTPServerTest{}, false
	}
	var found []client.HTTPServerTest
	for _, t := range p.unowned {
		if t.URL == url && !p.adopted[t.TestID] {
			found = append(found, t)
		}
	}
	if len(found) != 1 {
		return client.HTTPServerTest{}, false
	}
	return found[0], true
}

// diff returns why an owned test needs a PUT, or "".
func (p *plan) diff(cur client.HTTPServerTest, hash string, req *client.HTTPServerTestRequest) string {
	if p.markers[cur.TestID].Hash != hash {
		return "declaration changed"
	}
	if cur.Description != *req.Description {
		return "drift: description"
	}
	var drift []string
	check := func(field string, differs bool) {
		if differs {
			drift = append(drift, field)
		}
	}
	check("testName", cur.TestName != req.TestName)
	check("url", cur.URL != req.URL)
	check("interval", cur.Interval != req.Interval)
	check("alertsEnabled", differ(cur.AlertsEnabled, req.AlertsEnabled))
	check("enabled", differ(cur.Enabled, req.Enabled))
	check("verifyCertificate", differ(cur.VerifyCertificate, req.VerifyCertificate))
	check("bandwidthMeasurements", differ(cur.BandwidthMeasurements, req.BandwidthMeasurements))
	check("mtuMeasurements", differ(cur.MTUMeasurements, req.MTUMeasurements))
	check("httpTargetTime", differ(cur.HTTPTargetTime, req.HTTPTargetTime))
	check("httpTimeLimit", differ(cur.HTTPTimeLimit, req.HTTPTimeLimit))
	check("headers", cur.Headers != nil && !slices.Equal(cur.Headers, req.Headers))
	if len(drift) == 0 {
		return ""
	}
	return fmt.Sprintf("drift: %v", drift)
}

// differ compares a listed field with the desired one; a field the list did not
// return cannot be compared and is not drift.
func differ[T comparable](listed, want *T) bool {
	return listed != nil && want != nil && *listed != *want
}

// prune plans deletes of key's owned tests that mine does not declare, and of
// duplicates of those it does.
func (p *plan) prune(r *SourceResult, key string, mine map[string]bool) {
	for _, id := range sortedKeys(p.owned) {
		tests := p.owned[id]
		if p.markers[tests[0].TestID].Source() != key {
			continue
		}
		keep := 0
		if mine[id] {
			keep = 1
		}
		for _, t := range tests[keep:] {
			reason := "no longer declared"
			if keep == 1 {
				reason = "duplicate of test " + tests[0].TestID
			}
			p.add(r, &Action{Op: OpDelete, TestName: t.TestName, TestID: t.TestID, Reason: reason})
		}
	}
}

// orphans plans deletes of owned tests whose ConfigMap is gone: when it had
// prune: true in its last version, or when pruning is global.
func (p *plan) orphans() {
	for _, id := range sortedKeys(p.owned) {
		tests := p.owned[id]
		key := p.markers[tests[0].TestID].Source()
		if p.live[key] {
			continue
		}
		src, known := p.deletedBy[key]
		ns, name := splitKey(key)
		r := p.source(ns, name)
		r.Deleted = true
		if known && src.File != nil {
			r.DryRun = src.File.DryRun
		}
		if !p.cfg.Prune && !(known && src.File != nil && src.File.Prune) {
			continue
		}
		for _, t := range tests {
			p.add(r, &Action{Op: OpDelete, TestName: t.TestName, TestID: t.TestID, Reason: "ConfigMap deleted"})
		}
	}
}

func splitKey(key string) (string, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
