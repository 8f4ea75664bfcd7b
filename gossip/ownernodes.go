package gossip

// owner identifies a pod's workload: namespace, kind and name.
type owner struct{ namespace, kind, name string }

// ownerOf returns the owner that meta announces.
func ownerOf(meta Meta) owner { return owner{meta.Namespace, meta.OwnerKind, meta.OwnerName} }

// ownerNodes returns the node of each live peer with this owner, keyed by
// member name, reading the peers in place under the lock.
func (s *stats) ownerNodes(namespace, kind, name string) map[string]string {
	want := owner{namespace, kind, name}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string)
	for member, p := range s.peers {
		if ownerOf(p.meta) == want {
			out[member] = p.meta.Node
		}
	}
	return out
}
