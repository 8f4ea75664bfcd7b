package gossipkeys

import (
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// state is the rotation state recorded in the source Secret's annotations.
type state struct {
	Phase        string
	Next         string // fingerprint of the key being rotated in
	PhaseSince   time.Time
	PrimarySince time.Time
	Handled      string // the last rotate-key value that started a rotation
}

func readState(s *corev1.Secret) state {
	a := s.Annotations
	st := state{Phase: a[AnnotationPhase], Next: a[AnnotationNext], Handled: a[AnnotationRotateHandled]}
	if st.Phase == "" {
		st.Phase = PhaseStable
	}
	st.PhaseSince, _ = time.Parse(time.RFC3339, a[AnnotationPhaseSince])
	st.PrimarySince, _ = time.Parse(time.RFC3339, a[AnnotationPrimarySince])
	return st
}

// write records st, and the primary of keys, in the annotations a.
func (st state) write(a map[string]string, keys gossip.Keys) {
	a[AnnotationPhase] = st.Phase
	a[AnnotationPhaseSince] = st.PhaseSince.UTC().Format(time.RFC3339)
	a[AnnotationPrimarySince] = st.PrimarySince.UTC().Format(time.RFC3339)
	a[AnnotationPrimary] = gossip.Fingerprint(keys.Primary())
	setOrDelete(a, AnnotationNext, st.Next)
	setOrDelete(a, AnnotationRotateHandled, st.Handled)
}

func setOrDelete(a map[string]string, k, v string) {
	if v == "" {
		delete(a, k)
		return
	}
	a[k] = v
}

// plan is the next version of the source Secret: its keys, its state and the
// Event that announces it.
type plan struct {
	keys    gossip.Keys
	state   state
	reason  string
	message string
	overdue []string // who the step proceeds without, its bound (StepTimeout) passed
}

// gate returns who keeps a phase from ending: the live members (and Ready
// injected pods) that do not hold the key with this fingerprint or, with
// primary, do not use it as their primary key. Empty lets the phase end.
type gate func(fingerprint string, primary bool) []string

// input is what a rotation step decides on besides the Secret itself.
type input struct {
	now         time.Time
	rotateEvery time.Duration
	stepTimeout time.Duration // how long gate may hold a step; zero: no bound
	request     string        // the source Secret's rotate-key annotation
	inSync      bool          // every copy holds the source's keys
	hold        []string      // what holds a step without bound: the leader cannot see the mesh
	gate        gate
	rand        io.Reader
}

// decide returns the next plan, or nil when the Secret stays as it is together
// with who holds the current phase up.
func decide(keys gossip.Keys, st state, in input) (*plan, []string, error) {
	switch st.Phase {
	case PhaseStable:
		return decideStable(keys, st, in)
	case PhaseAdding:
		return decideAdding(keys, st, in)
	case PhasePromoting:
		return decidePromoting(keys, st, in)
	}
	return reset(keys, st, in.now, fmt.Sprintf("unknown phase %q", st.Phase)), nil, nil
}

func decideStable(keys gossip.Keys, st state, in input) (*plan, []string, error) {
	requested := in.request != "" && in.request != st.Handled
	due := in.rotateEvery > 0 && !st.PrimarySince.IsZero() && in.now.Sub(st.PrimarySince) >= in.rotateEvery
	if !requested && !due {
		if st.PrimarySince.IsZero() { // a Secret meshprobe did not create: start the schedule now
			st.PrimarySince, st.PhaseSince = in.now, in.now
			return &plan{keys: keys, state: st}, nil, nil
		}
		return nil, nil, nil
	}
	key, err := newKey(in.rand)
	if err != nil {
		return nil, nil, err
	}
	why := "scheduled"
	if requested {
		why, st.Handled = fmt.Sprintf("requested (%s=%q)", contract.AnnotationRotateKey, in.request), in.request
	}
	st.Phase, st.Next, st.PhaseSince = PhaseAdding, gossip.Fingerprint(key), in.now
	return &plan{keys: append(append(gossip.Keys{}, keys...), key), state: st, reason: ReasonRotationStarted,
		message: fmt.Sprintf("key rotation %s: added key %s; it becomes primary once every member holds it", why, st.Next)}, nil, nil
}

func decideAdding(keys gossip.Keys, st state, in input) (*plan, []string, error) {
	i := indexOf(keys, st.Next)
	switch {
	case i < 0:
		return reset(keys, st, in.now, "the new key "+st.Next+" is no longer in the Secret"), nil, nil
	}
	stamp, blockers, overdue := gateStep(keys, st, in, false)
	if stamp != nil || len(blockers) > 0 {
		return stamp, blockers, nil
	}
	st.Phase, st.PhaseSince = PhasePromoting, in.now
	return &plan{keys: append(gossip.Keys{keys[i]}, without(keys, i)...), state: st, reason: ReasonKeyPromoted, overdue: overdue,
		message: fmt.Sprintf("%s key %s: it is now primary; the old key goes once every member uses it", followed(overdue, "holds"), st.Next)}, nil, nil
}

func decidePromoting(keys gossip.Keys, st state, in input) (*plan, []string, error) {
	i := indexOf(keys, st.Next)
	switch {
	case i < 0:
		return reset(keys, st, in.now, "the new key "+st.Next+" is no longer in the Secret"), nil, nil
	case i > 0: // someone reordered the keys: promote again, which waits for every member
		st.Phase, st.PhaseSince = PhaseAdding, in.now
		return &plan{keys: keys, state: st, reason: ReasonRotationReset,
			message: "the new key " + st.Next + " is no longer primary: back to waiting until every member holds it"}, nil, nil
	}
	stamp, blockers, overdue := gateStep(keys, st, in, true)
	if stamp != nil || len(blockers) > 0 {
		return stamp, blockers, nil
	}
	old := len(keys) - 1
	st.Phase, st.Next, st.PhaseSince, st.PrimarySince = PhaseStable, "", in.now, in.now
	return &plan{keys: keys[:1], state: st, reason: ReasonKeyRotated, overdue: overdue,
		message: fmt.Sprintf("%s key %s as primary: dropped %d old key(s); rotation done", followed(overdue, "uses"), gossip.Fingerprint(keys[0]), old)}, nil, nil
}

// gateStep decides whether the step of phase st may end. It returns a plan that
// only records the phase's start, when the Secret has none usable (missing,
// invalid or in the future); otherwise what holds the step up; otherwise, once
// the step has waited stepTimeout since the phase began, the members the gate
// still names, which the step proceeds without. Copies that are not up to date
// and a leader that cannot see the mesh hold a step without bound: proceeding
// then would cut off members that would follow.
func gateStep(keys gossip.Keys, st state, in input, primary bool) (stamp *plan, blockers, overdue []string) {
	switch {
	case st.PhaseSince.IsZero() || st.PhaseSince.After(in.now):
		st.PhaseSince = in.now
		return &plan{keys: keys, state: st}, nil, nil
	case !in.inSync:
		return nil, []string{"copies of the Secret not yet updated"}, nil
	case len(in.hold) > 0:
		return nil, in.hold, nil
	}
	blockers = in.gate(st.Next, primary)
	if len(blockers) == 0 || in.stepTimeout <= 0 || in.now.Sub(st.PhaseSince) < in.stepTimeout {
		return nil, blockers, nil
	}
	return nil, nil, blockers
}

// followed says who took the step: every member, or all but those it proceeds without.
func followed(overdue []string, verb string) string {
	if len(overdue) == 0 {
		return "every member " + verb
	}
	return fmt.Sprintf("every member but %d (the wait's bound passed) %s", len(overdue), verb)
}

// reset abandons a rotation whose state no longer matches the keys, keeping
// every key: nothing is dropped that a member might use.
func reset(keys gossip.Keys, st state, now time.Time, why string) *plan {
	st.Phase, st.Next, st.PhaseSince = PhaseStable, "", now
	if st.PrimarySince.IsZero() {
		st.PrimarySince = now
	}
	return &plan{keys: keys, state: st, reason: ReasonRotationReset, message: "rotation abandoned, keys kept: " + why}
}
