package memberverify

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshprobe/meshprobe/gossip"
)

func TestCheck(t *testing.T) {
	pods := lister(t, webPod(), dbPod())
	web := func(edit func(*gossip.Member)) gossip.Member {
		m := honest(webPod(), "Deployment", "web")
		edit(&m)
		return m
	}
	tests := []struct {
		name   string
		member gossip.Member
		want   Reason
	}{
		{"honest sidecar", web(func(*gossip.Member) {}), ""},
		{"honest, second pod IP", web(func(m *gossip.Member) { m.Addr = "[fd00::11]:7946" }), ""},
		{"honest, no owner announced", web(func(m *gossip.Member) { m.Meta.OwnerKind, m.Meta.OwnerName = "", "" }), ""},
		{"honest StatefulSet pod", honest(dbPod(), "StatefulSet", "db"), ""},
		{"name is not namespace/pod/uid", web(func(m *gossip.Member) { m.Name = "web-1" }), ReasonBadName},
		{"name with an empty part", web(func(m *gossip.Member) { m.Name = "shop//0a1b2c3d" }), ReasonBadName},
		{"name and metadata in other namespaces", web(func(m *gossip.Member) { m.Meta.Namespace = "bank" }), ReasonNamespaceMismatch},
		{"name and metadata name other pods", web(func(m *gossip.Member) { m.Meta.Pod = "db-0" }), ReasonPodMismatch},
		{"shortened pod name without Truncated", web(func(m *gossip.Member) { m.Meta.Pod = "web" }), ReasonPodMismatch},
		{"claims a pod that does not exist", web(func(m *gossip.Member) {
			m.Name, m.Meta.Pod = "shop/web-9/0a1b2c3d", "web-9"
		}), ReasonUnknownPod},
		{"claims a pod in another namespace", web(func(m *gossip.Member) {
			m.Name, m.Meta.Namespace = "bank/web-1/0a1b2c3d", "bank"
		}), ReasonUnknownPod},
		{"claims the pod with a wrong UID", web(func(m *gossip.Member) { m.Name = "shop/web-1/deadbeef" }), ReasonUIDMismatch},
		{"claims the pod from another address", web(func(m *gossip.Member) { m.Addr = "10.0.0.99:7946" }), ReasonIPMismatch},
		{"no address", web(func(m *gossip.Member) { m.Addr = "" }), ReasonIPMismatch},
		{"announces another Deployment", web(func(m *gossip.Member) { m.Meta.OwnerName = "checkout" }), ReasonOwnerMismatch},
		{"announces another kind", web(func(m *gossip.Member) { m.Meta.OwnerKind = "StatefulSet" }), ReasonOwnerMismatch},
		{"announces an owner for a StatefulSet pod", honest(dbPod(), "Deployment", "web"), ReasonOwnerMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Check(tt.member, pods)
			assert.Equal(t, tt.want, v.Reason)
			assert.Equal(t, tt.want == "", v.OK())
		})
	}
}

func TestCheckTruncatedClaims(t *testing.T) {
	p := webPod()
	p.Name = "web-1-with-a-very-long-generated-name"
	p.OwnerReferences[0].Name = "web-with-a-long-name-7d9c6b5f4"
	m := honest(p, "Deployment", "web-with-a-long-name")
	m.Meta.Pod, m.Meta.OwnerName, m.Meta.Truncated = p.Name[:16], "web-with-a-long-", true
	assert.True(t, Check(m, lister(t, p)).OK(), "Encode keeps at least a 16-byte prefix")
	m.Meta.Pod = p.Name[:8]
	assert.Equal(t, ReasonPodMismatch, Check(m, lister(t, p)).Reason, "a prefix shorter than Encode leaves is no claim")
}

func TestCheckFinishedPod(t *testing.T) {
	p := webPod()
	p.Status.Phase = "Succeeded"
	v := Check(honest(webPod(), "Deployment", "web"), lister(t, p))
	assert.Equal(t, ReasonUnknownPod, v.Reason)
	assert.Equal(t, "web-1", v.Pod.Name, "the finished pod is named, for the Event")
}

func TestReasonsDescribed(t *testing.T) {
	for _, r := range Reasons() {
		assert.NotEqual(t, string(r), r.Description(), r)
	}
}
