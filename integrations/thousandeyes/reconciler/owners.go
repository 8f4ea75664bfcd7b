package reconciler

import (
	"fmt"
	"sort"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
)

// Who owns a test name, decided once per pass, in this order:
//
//  1. the ConfigMap named by the marker of a test that has the name and carries
//     this install's identity (the ConfigMap that created it);
//  2. the ConfigMap named by a legacy marker (written before install
//     identities) on a test that has the name: when it declares the name here,
//     it adopts the test (the marker gains this install's identity);
//  3. else, among the valid ConfigMaps declaring the name in this pass, the
//     oldest (creation time, then key).
//
// Every other declaration of the name is a Conflict: it writes nothing, so it
// can neither overwrite the owner's test nor prune it.

// classify sorts the listed tests into this install's, legacy-marked, unmarked
// and the rest (another install's, copies), and records the owners of rule 1
// and 2.
func (p *plan) classify(actual []client.HTTPServerTest) {
	sort.SliceStable(actual, func(i, j int) bool { return lessID(actual[i].TestID, actual[j].TestID) })
	for _, t := range actual {
		p.byName[t.TestName] = t
		m, ok := ParseMarker(t.Description)
		switch {
		case !ok:
			p.unowned = append(p.unowned, t)
		case m.Name() != t.TestName:
			// a copy made in the UI, or renamed by hand: not the marker's test
		case m.Install == p.cfg.Install:
			p.owned[m.ID] = append(p.owned[m.ID], t)
			p.markers[t.TestID] = m
			p.nameOwner[t.TestName] = m.Source()
		case m.Install == "":
			if _, dup := p.legacy[m.ID]; !dup {
				p.legacy[m.ID] = t
			}
			p.nameOwner[t.TestName] = m.Source()
		}
	}
}

// claimNames gives each name no test holds to the oldest valid declaration (rule 3).
func (p *plan) claimNames(sources []Source) {
	byAge := make([]Source, 0, len(sources))
	for _, s := range sources {
		if declares(s) {
			byAge = append(byAge, s)
		}
	}
	sort.SliceStable(byAge, func(i, j int) bool {
		if !byAge[i].Created.Equal(byAge[j].Created) {
			return byAge[i].Created.Before(byAge[j].Created)
		}
		return byAge[i].Key() < byAge[j].Key()
	})
	for _, s := range byAge {
		for _, t := range s.File.HTTPTests {
			if _, held := p.nameOwner[t.TestName]; !held {
				p.nameOwner[t.TestName] = s.Key()
			}
		}
	}
}

// declares reports whether s takes part in the pass's declarations.
func declares(s Source) bool {
	return !s.Deleted && s.Ignored == "" && s.Err == nil && s.File != nil
}

// ownerConflict returns the Conflict when key does not own name.
func (p *plan) ownerConflict(where, key, name string) (Conflict, bool) {
	owner := p.nameOwner[name]
	if owner == key {
		return Conflict{}, false
	}
	held := ""
	if t, ok := p.byName[name]; ok {
		held = " (test " + t.TestID + ")"
	}
	return Conflict{TestName: name, Holder: HolderConfigMap,
		Err: fmt.Errorf("%s: testName: owned by ConfigMap %s%s, which declared it first", where, owner, held)}, true
}

// heldConflict describes the test that holds name but is not this install's.
func heldConflict(where string, t client.HTTPServerTest) Conflict {
	c := Conflict{TestName: t.TestName, Holder: HolderUnmanaged}
	m, ok := ParseMarker(t.Description)
	switch {
	case !ok:
		c.Err = fmt.Errorf("%s: testName: test %s has this name but no meshprobe marker; rename one, or enable adopt-by-URL", where, t.TestID)
	case m.Name() != t.TestName:
		c.Err = fmt.Errorf("%s: testName: test %s has this name and is a copy of meshprobe's test %q (cloned or renamed in ThousandEyes); rename or delete it", where, t.TestID, m.Name())
	default:
		c.Holder = HolderInstall
		c.Err = fmt.Errorf("%s: testName: test %s belongs to meshprobe install %q; rename one", where, t.TestID, m.Install)
	}
	return c
}
