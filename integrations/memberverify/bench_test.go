package memberverify

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/gossip"
)

// BenchmarkAliveMembers is one heartbeat request's mesh lookup in a mesh of
// 10,000 members (100 Deployments of 100 pods), every pod in the cache.
func BenchmarkAliveMembers(b *testing.B) {
	var pods []*corev1.Pod
	var members []gossip.Member
	for i := range 10_000 {
		p := webPod()
		p.Name, p.UID = fmt.Sprintf("web%d-%d", i/100, i), webPod().UID
		p.Labels = map[string]string{"pod-template-hash": "7d9c6b5f4"}
		p.OwnerReferences[0].Name = fmt.Sprintf("web%d-7d9c6b5f4", i/100)
		p.Status.PodIP, p.Status.PodIPs = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), nil
		pods = append(pods, p)
		members = append(members, honest(p, "Deployment", fmt.Sprintf("web%d", i/100)))
	}
	v := NewView(&mesh{members}, lister(b, pods...), func() bool { return true })
	if n := v.AliveMembers("shop", "Deployment", "web7"); n != 100 {
		b.Fatalf("AliveMembers = %d, want 100", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		v.AliveMembers("shop", "Deployment", "web7")
	}
}
