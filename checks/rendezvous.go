package checks

import (
	"hash/fnv"
)

// Membership is the view of the gossip mesh that runOn: one and the node
// patterns need. Implementations must be safe for concurrent use and cheap:
// OwnerPeerNodes is called before every run of every check elected by
// rendezvous (runOn: one, $, prefix$, glob$).
type Membership interface {
	// LocalName is this member's name.
	LocalName() string
	// OwnerPeerNodes maps the names of the live members whose pod has the
	// given owner to their node names, including this member itself, also
	// before it has joined anyone. A member that is not in its own map (it is
	// leaving the mesh) runs no elected checks.
	OwnerPeerNodes(namespace, ownerKind, ownerName string) map[string]string
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
