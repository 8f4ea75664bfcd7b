package meshview

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/meshprobe/meshprobe/gossip"
)

// simulation is a mesh of members spread over nodes, each with a coordinate
// near its node's position.
type simulation struct {
	members []gossip.Member
	coords  []*Coordinate
}

func newSimulation(n, nodes int) *simulation {
	rng := rand.New(rand.NewPCG(1, 2))
	pos := make([][]float64, nodes)
	for i := range pos {
		pos[i] = make([]float64, gossip.CoordinateDimensions)
		for d := range pos[i] {
			pos[i][d] = rng.Float64() * 0.002 // nodes up to a few ms apart
		}
	}
	sim := &simulation{}
	for i := range n {
		node := i % nodes
		m := member(fmt.Sprintf("ns-%02d", i%40), fmt.Sprintf("app-%d-7d9f8c6b5-x%04d", i%40, i), fmt.Sprintf("node-%02d", node))
		m.Name = gossip.MemberName(m.Meta.Namespace, m.Meta.Pod, fmt.Sprintf("%08x-0000-0000-0000-000000000000", i))
		c := &Coordinate{Vec: make([]float64, gossip.CoordinateDimensions), Error: 0.1 + rng.Float64()/10, Height: 5e-5}
		for d := range c.Vec {
			c.Vec[d] = pos[node][d] + rng.Float64()*1e-5
		}
		sim.members, sim.coords = append(sim.members, m), append(sim.coords, c)
	}
	return sim
}

// feed sends every member's rounds of full digests (4 checks and as many RTTs
// as fit, to the next peers in a ring, new runs each round) into s.
func (sim *simulation) feed(tb testing.TB, s *Store, rounds int, rtts bool) {
	s.Sync(sim.members)
	n := len(sim.members)
	for r := range rounds {
		at := t0.Add(time.Duration(r) * 10 * time.Second)
		for i, m := range sim.members {
			var peers []string
			for k := range 16 {
				if rtts {
					peers = append(peers, sim.members[(i+1+r*16+k)%n].Name)
				}
			}
			s.Observe(m, fullDigest(tb, m, 4, peers, sim.coords[i], at))
		}
	}
}

// BenchmarkViewMemory reports the heap a Store holds for 1,000 members, each
// having sent 10 digests filled to MaxDigestBytes (4 checks with full rings,
// 64 peers' RTTs accumulated, a coordinate).
func BenchmarkViewMemory(b *testing.B) {
	const n = 1000
	sim := newSimulation(n, 50)
	var held uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, _ := newTestStore(b)
		sim.feed(b, s, 10, true)
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(s)
	}
	b.ReportMetric(float64(held)/(1<<20), "MiB")
	b.ReportMetric(float64(held)/n, "B/member")
}

// BenchmarkNodeMatrix reports the time to answer /api/v1/rtt/nodes at 1,000
// members on 50 nodes through the whole Server (the token's decision cached),
// with measured RTTs, and with coordinates only (every cell estimated).
func BenchmarkNodeMatrix(b *testing.B) {
	for _, measured := range []bool{true, false} {
		b.Run(map[bool]string{true: "measured", false: "estimated"}[measured], func(b *testing.B) {
			sim := newSimulation(1000, 50)
			s, _ := newTestStore(b)
			sim.feed(b, s, 4, measured)
			srv := unreachableServer(b, DefaultConfig())
			srv.api.store = s
			srv.auth.cache.Add(sha256.Sum256([]byte("tok")), decision{}, time.Hour)
			req := httptest.NewRequest(http.MethodGet, PathRTTNodes, nil)
			req.Header.Set("Authorization", "Bearer tok")
			var size int
			for b.Loop() {
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}
