package gossipkeys

import (
	"crypto/rand"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// FuzzSecretAnnotations feeds arbitrary annotations on the gossip-key Secret (a
// namespace admin can write them on a copy, a cluster admin on the source) to the
// rotation (its gate never opens, so a step ends only through the bounded wait):
// never a panic; a plan always keeps at least one key, and the state
// it writes reads back the same.
func FuzzSecretAnnotations(f *testing.F) {
	f.Add(PhaseAdding, "0123456789ab", "2026-01-01T00:00:00Z", "garbage", "", "now")
	f.Add(PhasePromoting, "", "", "", "x", "")
	f.Add("bogus", "zz", "9999-99-99", "2026-01-01T00:00:00+01:00", "again", "again")
	key, err := gossip.NewKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, phase, next, phaseSince, primarySince, handled, request string) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
			AnnotationPhase: phase, AnnotationNext: next, AnnotationPhaseSince: phaseSince,
			AnnotationPrimarySince: primarySince, AnnotationRotateHandled: handled, contract.AnnotationRotateKey: request,
		}}}
		st := readState(s)
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		p, _, err := decide(gossip.Keys{key}, st, input{now: now, rotateEvery: time.Hour, stepTimeout: time.Hour, request: request,
			inSync: true, gate: func(string, bool) []string { return []string{"member x"} }, rand: rand.Reader})
		if err != nil || p == nil {
			return
		}
		if len(p.keys) == 0 {
			t.Fatalf("a plan without keys from %+v", st)
		}
		a := map[string]string{}
		p.state.write(a, p.keys)
		again := readState(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: a}})
		want := p.state
		want.PhaseSince, want.PrimarySince = want.PhaseSince.Truncate(time.Second).UTC(), want.PrimarySince.Truncate(time.Second).UTC()
		again.PhaseSince, again.PrimarySince = again.PhaseSince.UTC(), again.PrimarySince.UTC()
		if !want.PhaseSince.Equal(again.PhaseSince) || !want.PrimarySince.Equal(again.PrimarySince) ||
			want.Phase != again.Phase || want.Next != again.Next || want.Handled != again.Handled {
			t.Fatalf("state %+v reads back as %+v", want, again)
		}
	})
}
