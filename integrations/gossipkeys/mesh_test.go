package gossipkeys

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/gossip"
)

// view is a fixed member list standing in for the leader's mesh in unit tests
// of the gate; the integration test uses a real gossip.Mesh.
type view struct {
	status  string
	members []gossip.Member
}

func (v view) Members() []gossip.Member { return v.members }
func (v view) Status() gossip.Status    { return gossip.Status{State: v.status} }

func member(ns, pod, state string, keys ...string) gossip.Member {
	return gossip.Member{Name: ns + "/" + pod, State: state, Meta: gossip.Meta{Namespace: ns, Pod: pod, Keys: keys}}
}

func readyPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
}

func TestMeshGate(t *testing.T) {
	const old, next = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
	tests := []struct {
		name    string
		v       view
		pods    []*corev1.Pod
		primary bool
		want    []string
	}{
		{name: "everyone holds it", v: view{gossip.StatusRunning, []gossip.Member{
			member("a", "p1", gossip.StateAlive, old, next), member("a", "p2", gossip.StateSuspect, next, old)}},
			pods: []*corev1.Pod{readyPod("a", "p1")}},
		{name: "a live member lacks it", v: view{gossip.StatusRunning, []gossip.Member{
			member("a", "p1", gossip.StateAlive, old, next), member("a", "p2", gossip.StateAlive, old)}},
			want: []string{"member a/p2"}},
		{name: "a suspect member lacks it", v: view{gossip.StatusRunning, []gossip.Member{member("a", "p2", gossip.StateSuspect, old)}},
			want: []string{"member a/p2"}},
		{name: "dead and departed members do not count", v: view{gossip.StatusRunning, []gossip.Member{
			member("a", "p1", gossip.StateAlive, next), member("a", "p2", gossip.StateDead, old), member("a", "p3", gossip.StateLeft, old)}}},
		{name: "primary: holding is not enough", primary: true, v: view{gossip.StatusRunning, []gossip.Member{
			member("a", "p1", gossip.StateAlive, next, old), member("a", "p2", gossip.StateAlive, old, next)}},
			want: []string{"member a/p2"}},
		{name: "a Ready pod the leader cannot see", v: view{gossip.StatusRunning, []gossip.Member{member("a", "p1", gossip.StateAlive, next)}},
			pods: []*corev1.Pod{readyPod("a", "p1"), readyPod("b", "hidden")},
			want: []string{"pod b/hidden (Ready, not seen in the mesh with the key)"}},
		{name: "the leader is not gossiping", v: view{status: gossip.StatusWaitingForKey},
			want: []string{"the leader's gossip member is waiting-for-key, not running"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, meshGate(tt.v, tt.pods)(next, tt.primary))
		})
	}
}

func TestIsReady(t *testing.T) {
	p := readyPod("a", "b")
	assert.True(t, isReady(p))
	p.DeletionTimestamp = &metav1.Time{}
	assert.False(t, isReady(p), "terminating")
	assert.False(t, isReady(&corev1.Pod{}), "no condition")
}

func TestSummarize(t *testing.T) {
	var many []string
	for i := range 13 {
		many = append(many, fmt.Sprint(i))
	}
	assert.Equal(t, "[0 1 2 3 4 5 6 7 8 9] and 3 more", summarize(many))
	assert.Equal(t, "[x]", summarize([]string{"x"}))
}
