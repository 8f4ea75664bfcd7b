package gossip

// rendezvousScore ranks peer for self in cycle seed: highest-random-weight
// (rendezvous) hashing. Each member orders its peers differently, and the order
// changes from cycle to cycle, so load spreads evenly without coordination.
func rendezvousScore(self, peer string, seed uint64) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(self); i++ {
		h = (h ^ uint64(self[i])) * prime
	}
	h = (h ^ 0xff) * prime
	for i := 0; i < len(peer); i++ {
		h = (h ^ uint64(peer[i])) * prime
	}
	return mix64(h ^ mix64(seed))
}

// mix64 is the splitmix64 finaliser: it spreads every input bit over the output.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
