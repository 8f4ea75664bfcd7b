package memberverify

import (
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshprobe/meshprobe/gossip"
)

// Mesh is what the view reads of the leader's gossip member; *gossip.Mesh
// implements it, safely for concurrent use.
type Mesh interface {
	Members() []gossip.Member
	Status() gossip.Status
}

// Impostor is a member whose claim does not check out.
type Impostor struct {
	Member gossip.Member
	Verdict
}

// View is the leader's mesh with impostors left out. It implements
// gossipkeys.MemberView and heartbeat.MeshView. It is safe for concurrent use
// and answers from memory: the member list and the pod cache.
type View struct {
	mesh   Mesh
	pods   listerv1.PodLister
	synced cache.InformerSynced
}

// NewView returns the view of mesh checked against pods, a cache that synced
// reports filled. Until it is, no member but the leader's own is trusted.
func NewView(mesh Mesh, pods listerv1.PodLister, synced cache.InformerSynced) *View {
	return &View{mesh: mesh, pods: pods, synced: synced}
}

// Split sorts every member the mesh knows (live and departed) into the trusted
// ones, the leader's own member always among them, and the impostors. Before
// the pod cache is filled every other member is left out of both.
func (v *View) Split() (trusted []gossip.Member, impostors []Impostor) {
	synced := v.synced()
	for _, m := range v.mesh.Members() {
		if m.Self {
			trusted = append(trusted, m)
			continue
		}
		if !synced {
			continue
		}
		if vd := Check(m, v.pods); vd.OK() {
			trusted = append(trusted, m)
		} else {
			impostors = append(impostors, Impostor{Member: m, Verdict: vd})
		}
	}
	return trusted, impostors
}

// Members returns the trusted members, sorted by name (gossipkeys.MemberView).
func (v *View) Members() []gossip.Member {
	trusted, _ := v.Split()
	return trusted
}

// Status is the leader's own member's state (gossipkeys.MemberView).
func (v *View) Status() gossip.Status { return v.mesh.Status() }

// AliveMembers counts the trusted live (alive or suspect) members that
// announce this namespace and owner (heartbeat.MeshView). Only the members
// that announce the owner are checked against the pod cache.
func (v *View) AliveMembers(namespace, ownerKind, ownerName string) int {
	synced := v.synced()
	n := 0
	members := v.mesh.Members()
	for i := range members {
		m := &members[i] // a Member is large: no copy for the members of other owners
		if !live(*m) || m.Meta.Namespace != namespace || m.Meta.OwnerKind != ownerKind || m.Meta.OwnerName != ownerName {
			continue
		}
		if m.Self || (synced && Check(*m, v.pods).OK()) {
			n++
		}
	}
	return n
}

// live reports whether the member is alive or suspect (not dead or left).
func live(m gossip.Member) bool {
	return m.State == gossip.StateAlive || m.State == gossip.StateSuspect
}
