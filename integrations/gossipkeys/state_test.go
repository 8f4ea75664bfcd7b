package gossipkeys

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/gossip"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, keySize) }

func TestDecide(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	fp1, fp2, fp3 := gossip.Fingerprint(k1), gossip.Fingerprint(k2), gossip.Fingerprint(k3)
	open := func(string, bool) []string { return nil }
	closed := func(string, bool) []string { return []string{"member x"} }
	old, since := now.Add(-time.Hour), now.Add(-time.Minute)
	bound, late := 15*time.Minute, now.Add(-15*time.Minute)
	down := []string{"the leader's own gossip member"}
	tests := []struct {
		name        string
		keys        gossip.Keys
		st          state
		in          input
		wantPhase   string // "" = no plan
		wantKeys    []string
		wantReason  string
		wantBlocked bool
		wantOverdue []string
	}{
		{name: "stable, nothing asked", keys: gossip.Keys{k1}, st: state{Phase: PhaseStable, PrimarySince: old},
			in: input{request: "", gate: open}},
		{name: "stable, request already handled", keys: gossip.Keys{k1}, st: state{Phase: PhaseStable, PrimarySince: old, Handled: "a"},
			in: input{request: "a", gate: open}},
		{name: "stable, new request", keys: gossip.Keys{k1}, st: state{Phase: PhaseStable, PrimarySince: old, Handled: "a"},
			in: input{request: "b", gate: open}, wantPhase: PhaseAdding, wantKeys: []string{fp1, fp3}, wantReason: ReasonRotationStarted},
		{name: "stable, schedule due", keys: gossip.Keys{k1}, st: state{Phase: PhaseStable, PrimarySince: old},
			in: input{rotateEvery: time.Hour, gate: open}, wantPhase: PhaseAdding, wantKeys: []string{fp1, fp3}, wantReason: ReasonRotationStarted},
		{name: "stable, schedule not due", keys: gossip.Keys{k1}, st: state{Phase: PhaseStable, PrimarySince: old},
			in: input{rotateEvery: 2 * time.Hour, gate: open}},
		{name: "stable, no primary time: the schedule starts now", keys: gossip.Keys{k1}, st: state{Phase: PhaseStable},
			in: input{rotateEvery: time.Hour, gate: open}, wantPhase: PhaseStable, wantKeys: []string{fp1}},
		{name: "adding, copies behind", keys: gossip.Keys{k1, k2}, st: state{Phase: PhaseAdding, Next: fp2, PhaseSince: since},
			in: input{inSync: false, gate: open}, wantBlocked: true},
		{name: "adding, a member lacks the key", keys: gossip.Keys{k1, k2}, st: state{Phase: PhaseAdding, Next: fp2, PhaseSince: since},
			in: input{inSync: true, gate: closed}, wantBlocked: true},
		{name: "adding, everyone holds it: promote", keys: gossip.Keys{k1, k2}, st: state{Phase: PhaseAdding, Next: fp2, PhaseSince: since},
			in: input{inSync: true, gate: open}, wantPhase: PhasePromoting, wantKeys: []string{fp2, fp1}, wantReason: ReasonKeyPromoted},
		{name: "adding, the new key vanished: reset keeping keys", keys: gossip.Keys{k1}, st: state{Phase: PhaseAdding, Next: fp2, PhaseSince: since},
			in: input{inSync: true, gate: open}, wantPhase: PhaseStable, wantKeys: []string{fp1}, wantReason: ReasonRotationReset},
		{name: "promoting, a member still on the old primary", keys: gossip.Keys{k2, k1}, st: state{Phase: PhasePromoting, Next: fp2, PhaseSince: since},
			in: input{inSync: true, gate: closed}, wantBlocked: true},
		{name: "promoting, everyone switched: drop the old key", keys: gossip.Keys{k2, k1}, st: state{Phase: PhasePromoting, Next: fp2, PhaseSince: since},
			in: input{inSync: true, gate: open}, wantPhase: PhaseStable, wantKeys: []string{fp2}, wantReason: ReasonKeyRotated},
		{name: "promoting, keys reordered by hand: back to adding", keys: gossip.Keys{k1, k2}, st: state{Phase: PhasePromoting, Next: fp2, PhaseSince: since},
			in: input{inSync: true, gate: open}, wantPhase: PhaseAdding, wantKeys: []string{fp1, fp2}, wantReason: ReasonRotationReset},
		{name: "adding, a member lacks the key within the bound", keys: gossip.Keys{k1, k2}, st: state{Phase: PhaseAdding, Next: fp2, PhaseSince: late.Add(time.Second)},
			in: input{inSync: true, gate: closed, stepTimeout: bound}, wantBlocked: true},
		{name: "adding, the bound passed: promote without the member", keys: gossip.Keys{k1, k2}, st: state{Phase: PhaseAdding, Next: fp2, PhaseSince: late},
			in: input{inSync: true, gate: closed, stepTimeout: bound}, wantPhase: PhasePromoting, wantKeys: []string{fp2, fp1}, wantReason: ReasonKeyPromoted,
			wantOverdue: []string{"member x"}},
		{name: "promoting, the bound passed: drop the old key without the member", keys: gossip.Keys{k2, k1}, st: state{Phase: PhasePromoting, Next: fp2, PhaseSince: late},
			in: input{inSync: true, gate: closed, stepTimeout: bound}, wantPhase: PhaseStable, wantKeys: []string{fp2}, wantReason: ReasonKeyRotated,
			wantOverdue: []string{"member x"}},
		{name: "adding, the bound passed but copies behind", keys: gossip.Keys{k1, k2}, st: state{Phase: PhaseAdding, Next: fp2, PhaseSince: old},
			in: input{inSync: false, gate: closed, stepTimeout: bound}, wantBlocked: true},
		{name: "promoting, the bound passed but the leader cannot see the mesh", keys: gossip.Keys{k2, k1}, st: state{Phase: PhasePromoting, Next: fp2, PhaseSince: old},
			in: input{inSync: true, hold: down, gate: open, stepTimeout: bound}, wantBlocked: true},
		{name: "adding, no phase start: it starts now", keys: gossip.Keys{k1, k2}, st: state{Phase: PhaseAdding, Next: fp2},
			in: input{inSync: true, gate: closed, stepTimeout: bound}, wantPhase: PhaseAdding, wantKeys: []string{fp1, fp2}},
		{name: "promoting, phase start in the future: it starts now", keys: gossip.Keys{k2, k1}, st: state{Phase: PhasePromoting, Next: fp2, PhaseSince: now.Add(time.Hour)},
			in: input{inSync: true, gate: closed, stepTimeout: bound}, wantPhase: PhasePromoting, wantKeys: []string{fp2, fp1}},
		{name: "unknown phase: reset keeping keys", keys: gossip.Keys{k1, k2}, st: state{Phase: "bogus"},
			in: input{gate: open}, wantPhase: PhaseStable, wantKeys: []string{fp1, fp2}, wantReason: ReasonRotationReset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.now, tt.in.rand = now, bytes.NewReader(k3)
			p, blockers, err := decide(tt.keys, tt.st, tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.wantBlocked, len(blockers) > 0, "blockers %v", blockers)
			if tt.in.hold != nil {
				assert.Equal(t, tt.in.hold, blockers, "the leader's own member holds the step, whatever the gate says")
			}
			if tt.wantPhase == "" {
				assert.Nil(t, p)
				return
			}
			require.NotNil(t, p)
			assert.Equal(t, tt.wantPhase, p.state.Phase)
			assert.Equal(t, tt.wantKeys, p.keys.Fingerprints())
			assert.Equal(t, tt.wantReason, p.reason)
			assert.Equal(t, now, p.state.PhaseSince)
			assert.Equal(t, tt.wantOverdue, p.overdue)
			if tt.wantOverdue != nil {
				assert.Contains(t, p.message, "every member but 1 (the wait's bound passed)", "the Event does not claim every member followed")
			}
		})
	}
}

func TestDecideRecordsTheRequestAndTheSchedule(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	k1 := testKey(1)
	p, _, err := decide(gossip.Keys{k1}, state{Phase: PhaseStable, PrimarySince: now.Add(-time.Minute)},
		input{now: now, request: "2026-05-01", rand: bytes.NewReader(testKey(9)), gate: nil})
	require.NoError(t, err)
	require.NotNil(t, p)
	assert.Equal(t, "2026-05-01", p.state.Handled)
	assert.Equal(t, gossip.Fingerprint(testKey(9)), p.state.Next)
	assert.Contains(t, p.message, "requested")

	done, _, err := decide(gossip.Keys{testKey(9), k1}, state{Phase: PhasePromoting, Next: p.state.Next, PhaseSince: now, PrimarySince: now.Add(-time.Minute)},
		input{now: now, inSync: true, gate: func(string, bool) []string { return nil }})
	require.NoError(t, err)
	assert.Equal(t, now, done.state.PrimarySince, "the schedule counts from the new primary")
	assert.Empty(t, done.state.Next)
}

func TestDecideShortRandomness(t *testing.T) {
	_, _, err := decide(gossip.Keys{testKey(1)}, state{Phase: PhaseStable, PrimarySince: time.Now()},
		input{now: time.Now(), request: "x", rand: bytes.NewReader([]byte{1, 2, 3})})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "generating a key")
}

func TestStateRoundTrip(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	keys := gossip.Keys{testKey(1), testKey(2)}
	st := state{Phase: PhaseAdding, Next: gossip.Fingerprint(testKey(2)), PhaseSince: now, PrimarySince: now.Add(-time.Hour), Handled: "go"}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{}}}
	st.write(s.Annotations, keys)
	assert.Equal(t, st, readState(s))
	assert.Equal(t, gossip.Fingerprint(testKey(1)), s.Annotations[AnnotationPrimary])

	st = state{Phase: PhaseStable, PhaseSince: now, PrimarySince: now}
	st.write(s.Annotations, keys)
	assert.NotContains(t, s.Annotations, AnnotationNext, "a finished rotation clears its new-key annotation")
	assert.NotContains(t, s.Annotations, AnnotationRotateHandled)
	assert.Equal(t, PhaseStable, readState(&corev1.Secret{}).Phase, "no annotations: stable")
}
