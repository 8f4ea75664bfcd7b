package memberverify

import (
	"fmt"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"
)

// maxNameInMessage bounds how much of a member's name (any bytes the member
// chose) goes into an Event or a log line.
const maxNameInMessage = 128

// scanner is one term's state: the members failing the check, since when, and
// whether they were reported.
type scanner struct {
	r       *Reporter
	rec     record.EventRecorder
	limit   *rate.Limiter
	suspect map[string]*suspect // by member name; only members failing now
}

type suspect struct {
	since    time.Time
	reported bool
}

func newScanner(r *Reporter, rec record.EventRecorder) *scanner {
	return &scanner{r: r, rec: rec, suspect: map[string]*suspect{},
		limit: rate.NewLimiter(rate.Every(r.cfg.EventInterval), r.cfg.EventBurst)}
}

// scan checks the live members, sets the gauge to the impostors that failed
// for Grace, and reports those not reported yet while the Event budget allows.
// A member that passes, or leaves, is forgotten.
func (s *scanner) scan(now time.Time) {
	_, impostors := s.r.view.Split()
	counts := make(map[string]int, len(Reasons()))
	for _, r := range Reasons() {
		counts[string(r)] = 0
	}
	failing := make(map[string]bool, len(impostors))
	for _, imp := range impostors {
		if !live(imp.Member) {
			continue
		}
		name := imp.Member.Name
		failing[name] = true
		st := s.suspect[name]
		if st == nil {
			st = &suspect{since: now}
			s.suspect[name] = st
		}
		if now.Sub(st.since) < s.r.cfg.Grace {
			continue
		}
		counts[string(imp.Reason)]++
		if !st.reported && s.limit.AllowN(now, 1) {
			s.report(imp)
			st.reported = true
		}
	}
	for name := range s.suspect {
		if !failing[name] {
			delete(s.suspect, name)
		}
	}
	s.r.metrics.Set(counts)
}

// report logs the impostor and records a Warning Event on the pod it claims,
// or on the leader's own pod when that pod does not exist.
func (s *scanner) report(imp Impostor) {
	m := imp.Member
	name := fmt.Sprintf("%q", truncate(m.Name, maxNameInMessage))
	s.r.log.Warn("memberverify: a gossip member lies about its pod; it is left out of heartbeat verdicts and the key-rotation gate",
		"member", name, "addr", m.Addr, "claimedNamespace", m.Meta.Namespace, "claimedPod", m.Meta.Pod, "reason", imp.Reason)
	obj := s.eventObject(imp)
	if obj == nil {
		return
	}
	s.rec.Eventf(obj, corev1.EventTypeWarning, EventReason,
		"gossip member %s at %s claims pod %s/%s, but %s (%s); it is left out of heartbeat verdicts and the key-rotation gate",
		name, m.Addr, m.Meta.Namespace, m.Meta.Pod, imp.Reason.Description(), imp.Reason)
}

// eventObject is the claimed pod when it exists, else the leader's own pod,
// else nil.
func (s *scanner) eventObject(imp Impostor) runtime.Object {
	if imp.Pod != nil {
		return imp.Pod
	}
	if s.r.cfg.PodName == "" {
		return nil
	}
	return &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: s.r.cfg.Namespace, Name: s.r.cfg.PodName}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
