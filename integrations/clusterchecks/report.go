package clusterchecks

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// maxEventProblem bounds the problem quoted in an Event (Kubernetes keeps an
// Event's note to 1 KiB in events.k8s.io/v1).
const maxEventProblem = 900

// problem is one skipped source as reported: the same problem is reported once
// while it lasts, and again if it comes back.
type problem struct {
	uid   types.UID
	key   string
	state State
	text  string
}

// report records a Warning Event on the ConfigMap of each newly skipped source,
// and logs it.
func (rt *runtime) report(cms []*corev1.ConfigMap, outcomes []Outcome) {
	byName := make(map[string]*corev1.ConfigMap, len(cms))
	for _, cm := range cms {
		byName[cm.Name] = cm
	}
	current := map[problem]bool{}
	for _, o := range outcomes {
		cm := byName[o.ConfigMap]
		if o.State == StateValid || cm == nil {
			continue
		}
		p := problem{uid: cm.UID, key: o.Key, state: o.State, text: o.Problem}
		current[p] = true
		if rt.reported[p] {
			continue
		}
		rt.log.Warn("clusterchecks: a source of cluster checks is skipped", "configmap", o.ConfigMap, "key", o.Key, "state", o.State, "problem", o.Problem)
		rt.recorder.Eventf(cm, corev1.EventTypeWarning, o.State.Reason(), "key %q: its checks are not delivered to the agents (%s): %s",
			o.Key, o.State, eventText(o.Problem))
	}
	rt.reported = current
}

// eventText is a problem on one line, at most maxEventProblem bytes.
func eventText(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) <= maxEventProblem {
		return s
	}
	return strings.ToValidUTF8(s[:maxEventProblem], "") + "…"
}
