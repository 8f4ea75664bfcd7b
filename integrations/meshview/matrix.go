package meshview

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// matrixSample is how many members per node the matrix estimates from: the
// ones with the lowest coordinate error.
const matrixSample = 3

// cell is the RTT between two nodes' members.
type cell struct {
	seconds float64
	source  string
	samples int
}

// NodeMatrix is the node × node RTT matrix, symmetric: the cells [i][j] are
// between Nodes[i] and Nodes[j]. Seconds is the median of the measured RTTs
// between the two nodes' members when there are any (Sources "measured"),
// else of the estimates between up to 3 members of each, those whose
// coordinates have the lowest error ("estimated"); null and "" where nothing
// is known. Samples is how many RTTs each median is of.
type NodeMatrix struct {
	Nodes   []string     `json:"nodes"`
	Seconds [][]*float64 `json:"seconds"`
	Sources [][]string   `json:"sources"`
	Samples [][]int      `json:"samples"`
}

// ErrTooManyNodes is returned, wrapped, when the matrix would exceed
// StoreConfig.MaxMatrixNodes nodes.
var ErrTooManyNodes = fmt.Errorf("too many nodes")

// nodeMember is what the matrix reads of one live member.
type nodeMember struct {
	name  string
	node  int
	coord *Coordinate
}

// NodeMatrix builds the matrix over the nodes of the live members (of zone,
// when not empty).
func (s *Store) NodeMatrix(zone string) (NodeMatrix, error) {
	now := s.cfg.Clock.Now()
	s.mu.RLock()
	nodes, members := s.matrixMembers(zone)
	if len(nodes) > s.cfg.MaxMatrixNodes {
		s.mu.RUnlock()
		return NodeMatrix{}, fmt.Errorf("%d nodes exceed the limit of %d: select a zone with ?zone=: %w",
			len(nodes), s.cfg.MaxMatrixNodes, ErrTooManyNodes)
	}
	samples := s.measuredByNode(members, len(nodes), now)
	s.mu.RUnlock()
	cells := make([]cell, len(samples))
	for k, v := range samples {
		if len(v) > 0 {
			cells[k] = cell{seconds: median(v), source: SourceMeasured, samples: len(v)}
		}
	}
	estimate(cells, sampleByNode(members, len(nodes)))
	return newNodeMatrix(nodes, cells), nil
}

// matrixMembers returns the sorted nodes of the live members of zone and the
// members by name. Callers hold mu.
func (s *Store) matrixMembers(zone string) ([]string, map[string]nodeMember) {
	set := map[string]bool{}
	for _, m := range s.members {
		if m.live() && m.meta.Node != "" && matches(zone, m.meta.Zone) {
			set[m.meta.Node] = true
		}
	}
	nodes := make([]string, 0, len(set))
	for n := range set {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	members := make(map[string]nodeMember, len(s.members))
	for _, m := range s.members {
		if i, ok := slices.BinarySearch(nodes, m.meta.Node); ok && m.live() && matches(zone, m.meta.Zone) {
			members[m.name] = nodeMember{name: m.name, node: i, coord: s.coord(m)}
		}
	}
	return nodes, members
}

// measuredByNode gathers the recent measured RTTs between members of the
// matrix by node pair (pairIndex). Callers hold mu.
func (s *Store) measuredByNode(members map[string]nodeMember, n int, now time.Time) [][]float64 {
	out := make([][]float64, n*(n+1)/2)
	for name, from := range members {
		for _, r := range s.members[name].rtts {
			to, ok := members[r.Peer]
			if ok && now.Sub(r.At) <= s.cfg.MeasuredMaxAge {
				k := pairIndex(from.node, to.node, n)
				out[k] = append(out[k], r.Seconds)
			}
		}
	}
	return out
}

// pairIndex is the index of the unordered pair {i, j} of n in a packed
// upper triangle.
func pairIndex(i, j, n int) int {
	if i > j {
		i, j = j, i
	}
	return i*n - i*(i-1)/2 + (j - i)
}

// sampleByNode returns per node the coordinates of up to matrixSample members,
// those with the lowest error.
func sampleByNode(members map[string]nodeMember, n int) [][]*Coordinate {
	byNode := make([][]nodeMember, n)
	for _, m := range members {
		if m.coord != nil {
			byNode[m.node] = append(byNode[m.node], m)
		}
	}
	out := make([][]*Coordinate, n)
	for i, ms := range byNode {
		slices.SortFunc(ms, func(a, b nodeMember) int {
			return cmp.Or(cmp.Compare(a.coord.Error, b.coord.Error), strings.Compare(a.name, b.name))
		})
		for _, m := range ms[:min(len(ms), matrixSample)] {
			out[i] = append(out[i], m.coord)
		}
	}
	return out
}

// estimate fills the cells nothing was measured for with the median estimate
// between the sampled members of both nodes (distinct members on the
// diagonal).
func estimate(cells []cell, coords [][]*Coordinate) {
	var est []float64
	for i := range coords {
		for j := i; j < len(coords); j++ {
			c := &cells[pairIndex(i, j, len(coords))]
			if c.samples > 0 {
				continue
			}
			est = est[:0]
			for ai, a := range coords[i] {
				for bi, b := range coords[j] {
					if i == j && ai >= bi {
						continue
					}
					if d := estimateRTT(a, b); d > 0 {
						est = append(est, d.Seconds())
					}
				}
			}
			if len(est) > 0 {
				*c = cell{seconds: median(est), source: SourceEstimated, samples: len(est)}
			}
		}
	}
}

// newNodeMatrix unpacks the upper triangle of cells into the symmetric matrix.
func newNodeMatrix(nodes []string, cells []cell) NodeMatrix {
	n := len(nodes)
	mx := NodeMatrix{Nodes: nodes, Seconds: make([][]*float64, n), Sources: make([][]string, n), Samples: make([][]int, n)}
	for i := range n {
		mx.Seconds[i], mx.Sources[i], mx.Samples[i] = make([]*float64, n), make([]string, n), make([]int, n)
		for j := range n {
			c := cells[pairIndex(i, j, n)]
			if c.samples > 0 {
				mx.Seconds[i][j], mx.Sources[i][j], mx.Samples[i][j] = &c.seconds, c.source, c.samples
			}
		}
	}
	return mx
}

// median returns the median of v, which it sorts.
func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
