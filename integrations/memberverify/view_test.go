package memberverify

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshprobe/meshprobe/gossip"
)

// liar joins with the key and claims pod shop/web-1 of Deployment web, from
// its own address.
func liar() gossip.Member {
	m := honest(webPod(), "Deployment", "web")
	m.Addr = "10.0.0.66:7946"
	return m
}

func names(ms []gossip.Member) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestViewLeavesImpostorsOut(t *testing.T) {
	web, db := honest(webPod(), "Deployment", "web"), honest(dbPod(), "StatefulSet", "db")
	ghost := honest(webPod(), "Deployment", "web")
	ghost.Name, ghost.Meta.Pod = "shop/web-2/0a1b2c3d", "web-2"
	dead := liar()
	dead.Name, dead.State = "shop/web-1/11111111", gossip.StateDead
	v := NewView(&mesh{[]gossip.Member{self(), web, db, ghost, dead}}, lister(t, webPod(), dbPod()), func() bool { return true })

	trusted, impostors := v.Split()
	assert.Equal(t, []string{self().Name, web.Name, db.Name}, names(trusted))
	assert.Len(t, impostors, 2)
	assert.Equal(t, ReasonUnknownPod, impostors[0].Reason)
	assert.Equal(t, ReasonUIDMismatch, impostors[1].Reason)
	assert.Equal(t, names(trusted), names(v.Members()))
	assert.Equal(t, gossip.StatusRunning, v.Status().State)
}

func TestViewAliveMembers(t *testing.T) {
	pods := lister(t, webPod(), dbPod())
	synced := func() bool { return true }
	web := honest(webPod(), "Deployment", "web")
	suspect := web
	suspect.State = gossip.StateSuspect
	left := web
	left.State = gossip.StateLeft
	tests := []struct {
		name    string
		members []gossip.Member
		want    int
	}{
		{"the real sidecar", []gossip.Member{web}, 1},
		{"a suspect member still counts", []gossip.Member{suspect}, 1},
		{"a departed member does not", []gossip.Member{left}, 0},
		{"a liar alone cannot hide MeshUnreachable", []gossip.Member{liar()}, 0},
		{"a liar does not add to the real sidecar", []gossip.Member{web, liar()}, 1},
		{"a member of another owner", []gossip.Member{honest(dbPod(), "StatefulSet", "db")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewView(&mesh{tt.members}, pods, synced)
			assert.Equal(t, tt.want, v.AliveMembers("shop", "Deployment", "web"))
		})
	}
}

func TestViewBeforeSync(t *testing.T) {
	web := honest(webPod(), "Deployment", "web")
	v := NewView(&mesh{[]gossip.Member{self(), web}}, lister(t, webPod()), func() bool { return false })
	trusted, impostors := v.Split()
	assert.Equal(t, []string{self().Name}, names(trusted), "nobody but the leader is trusted before the cache is filled")
	assert.Empty(t, impostors, "and nobody is called an impostor either")
	assert.Equal(t, 0, v.AliveMembers("shop", "Deployment", "web"))
}
