package gossipkeys

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/gossip"
)

// MemberView is the leader's view of the gossip mesh. Members lists every
// member the leader trusts, itself included, each with the fingerprints of the
// keys it announces (primary first); Status is the leader's own member's state.
// Both are called from the task's goroutine and must be safe for concurrent use
// with the mesh. The control plane passes memberverify.View, which leaves out
// impostors (members whose claimed pod does not check out against the pod
// cache): an impostor neither holds a phase up nor stands in for a Ready pod
// that lacks the key. *gossip.Mesh implements it too, trusting every member.
type MemberView interface {
	Members() []gossip.Member
	Status() gossip.Status
}

// meshGate builds the rotation gate from the leader's member view and the Ready
// injected pods. A phase ends only when
//   - the leader's own member is gossiping (a leader outside the mesh sees nobody);
//   - every live member (alive or suspect) in the view holds the key, or uses
//     it as primary;
//   - every Ready injected pod is such a member (a member the leader cannot see,
//     for example behind a partition, still holds the rotation up).
func meshGate(view MemberView, readyPods []*corev1.Pod) gate {
	return func(fp string, primary bool) []string {
		if st := view.Status(); st.State != gossip.StatusRunning {
			return []string{fmt.Sprintf("the leader's gossip member is %s, not %s", st.State, gossip.StatusRunning)}
		}
		var out []string
		good := map[string]bool{} // namespace/pod of the qualifying members
		for _, m := range view.Members() {
			if m.State != gossip.StateAlive && m.State != gossip.StateSuspect {
				continue
			}
			if holds(m, fp, primary) {
				good[m.Meta.Namespace+"/"+m.Meta.Pod] = true
				continue
			}
			out = append(out, "member "+m.Name)
		}
		for _, p := range readyPods {
			if !good[p.Namespace+"/"+p.Name] {
				out = append(out, "pod "+p.Namespace+"/"+p.Name+" (Ready, not seen in the mesh with the key)")
			}
		}
		slices.Sort(out)
		return out
	}
}

// holds reports whether m announces the key, or, with primary, uses it as primary.
func holds(m gossip.Member, fp string, primary bool) bool {
	if primary {
		return len(m.Meta.Keys) > 0 && m.Meta.Keys[0] == fp
	}
	return m.HasKey(fp)
}

// isReady reports whether the pod is Ready and not terminating.
func isReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// summarize shortens a blocker list for an Event or a log line.
func summarize(blockers []string) string {
	if len(blockers) <= maxBlockersInMessage {
		return fmt.Sprint(blockers)
	}
	return fmt.Sprintf("%v and %d more", blockers[:maxBlockersInMessage], len(blockers)-maxBlockersInMessage)
}
