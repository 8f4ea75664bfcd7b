package checks

import (
	"hash/fnv"
	"slices"
)

// Membership is the view of the gossip mesh that runOn: one needs. Implementations
// must be safe for concurrent use and cheap: OwnerPeers is called before every
// run of every runOn: one check.
type Membership interface {
	// LocalName is this sidecar's member name.
	LocalName() string
	// OwnerPeers lists the names of the live members whose pod has the given
	// owner, including this sidecar itself, also before it has joined anyone.
	// A sidecar that is not in its own list (it is leaving the mesh) runs no
	// runOn: one checks.
	OwnerPeers(namespace, ownerKind, ownerName string) []string
}

// Rendezvous picks the member with the highest hash of (key, member): every
// caller with the same key and member list picks the same member, and removing a
// member only moves the keys that member had. It returns "" for no members.
func Rendezvous(key string, members []string) string {
	var best string
	var bestScore uint64
	for _, m := range members {
		s := rendezvousScore(key, m)
		if best == "" || s > bestScore || (s == bestScore && m < best) {
			best, bestScore = m, s
		}
	}
	return best
}

// rendezvousScore hashes key and member (FNV-1a, then a splitmix64 finalizer so
// that similar names spread evenly).
func rendezvousScore(key, member string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(member))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// election decides whether this sidecar runs a runOn: one check.
type election struct {
	membership Membership
	namespace  string
	ownerKind  string
	ownerName  string
}

// runner returns the member that runs check name and whether that is us. A pod
// without an owner, or a sidecar without membership, is its owner's only replica.
func (e election) runner(name string) (string, bool) {
	if e.membership == nil || e.ownerKind == "" {
		return "", true
	}
	self := e.membership.LocalName()
	peers := e.membership.OwnerPeers(e.namespace, e.ownerKind, e.ownerName)
	winner := Rendezvous(e.namespace+"/"+e.ownerKind+"/"+e.ownerName+"/"+name, peers)
	return winner, winner == self && slices.Contains(peers, self)
}
