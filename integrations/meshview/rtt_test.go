package meshview

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
)

func TestRTTMeasuredElseEstimated(t *testing.T) {
	s, clk := newTestStore(t)
	a, b, c := member("shop", "a", "n1"), member("shop", "b", "n2"), member("bank", "c", "n3")
	s.Sync([]gossip.Member{a, b, c})
	s.Observe(a, Digest{Coord: coord(0), RTT: []PeerRTT{{Peer: b.Name, Seconds: 0.0021, At: t0}}})
	s.Observe(b, Digest{Coord: coord(0.003)})
	s.Observe(c, Digest{Coord: coord(0.010)})

	got, err := s.RTT("shop", "b", "shop", "a")
	require.NoError(t, err)
	assert.Equal(t, SourceMeasured, got.Source)
	assert.InDelta(t, 0.0021, got.Seconds, 1e-12)
	assert.Equal(t, a.Name, got.MeasuredBy, "b asked about a: a's measurement counts both ways")
	assert.Equal(t, "n2", got.From.Node)

	got, err = s.RTT("shop", "a", "bank", "c")
	require.NoError(t, err)
	assert.Equal(t, SourceEstimated, got.Source, "nobody measured a-c")
	assert.InDelta(t, 0.010+2e-5, got.Seconds, 1e-6, "distance plus both heights")
	assert.InDelta(t, 0.2, got.EstimateError, 1e-9)

	clk.Step(5*time.Minute + time.Second)
	got, err = s.RTT("shop", "a", "shop", "b")
	require.NoError(t, err)
	assert.Equal(t, SourceEstimated, got.Source, "a measurement older than MeasuredMaxAge gives way")
	assert.InDelta(t, 0.003+2e-5, got.Seconds, 1e-6)
}

func TestRTTUnknownAndNotFound(t *testing.T) {
	s, _ := newTestStore(t, func(c *StoreConfig) {
		c.Coords = func(name string) (*Coordinate, bool) {
			if name == member("shop", "b", "n").Name {
				return coord(0.004), true
			}
			return nil, false
		}
	})
	a, b := member("shop", "a", "n"), member("shop", "b", "n")
	s.Sync([]gossip.Member{a, b})
	got, err := s.RTT("shop", "a", "shop", "b")
	require.NoError(t, err)
	assert.Equal(t, SourceUnknown, got.Source)
	assert.Contains(t, got.Reason, "no coordinates")

	s.Observe(a, Digest{Coord: coord(0)})
	got, err = s.RTT("shop", "a", "shop", "b")
	require.NoError(t, err)
	assert.Equal(t, SourceEstimated, got.Source, "b's coordinate from the control plane's own probes")

	_, err = s.RTT("shop", "a", "shop", "zz")
	require.True(t, errors.Is(err, ErrNotFound))
	assert.Contains(t, err.Error(), "to: no member runs in pod shop/zz")
}

func TestRTTPrefersTheLiveMemberOfAPod(t *testing.T) {
	s, _ := newTestStore(t)
	old, cur := member("shop", "web", "n1"), member("shop", "web", "n2")
	old.Name, old.State = "shop/web/deadbeef", gossip.StateDead
	peer := member("shop", "peer", "n3")
	s.Sync([]gossip.Member{old, cur, peer})
	s.Observe(old, Digest{Coord: coord(0.5)})
	s.Observe(cur, Digest{Coord: coord(0.001)})
	s.Observe(peer, Digest{Coord: coord(0)})
	got, err := s.RTT("shop", "web", "shop", "peer")
	require.NoError(t, err)
	assert.Equal(t, cur.Name, got.From.Member)
	assert.Equal(t, "n2", got.From.Node)
}

func TestNodeMatrix(t *testing.T) {
	s, _ := newTestStore(t)
	// n1: a1, a2; n2: b1; n3: c1 (no coordinate, nothing measured); n4: d1.
	a1, a2, b1, c1, d1 := member("x", "a1", "n1"), member("x", "a2", "n1"), member("x", "b1", "n2"),
		member("x", "c1", "n3"), member("x", "d1", "n4")
	gone := member("x", "gone", "n9")
	gone.State = gossip.StateLeft
	s.Sync([]gossip.Member{a1, a2, b1, c1, d1, gone})
	s.Observe(a1, Digest{Coord: coord(0), RTT: []PeerRTT{
		{Peer: b1.Name, Seconds: 0.001, At: t0}, {Peer: a2.Name, Seconds: 0.0001, At: t0}, {Peer: gone.Name, Seconds: 1, At: t0}}})
	s.Observe(a2, Digest{Coord: coord(0.0002), RTT: []PeerRTT{{Peer: b1.Name, Seconds: 0.003, At: t0}}})
	s.Observe(b1, Digest{Coord: coord(0.002), RTT: []PeerRTT{{Peer: a1.Name, Seconds: 0.002, At: t0}}})
	s.Observe(d1, Digest{Coord: coord(0.020)})

	mx, err := s.NodeMatrix("")
	require.NoError(t, err)
	require.Equal(t, []string{"n1", "n2", "n3", "n4"}, mx.Nodes, "nodes of live members only")
	cell := func(i, j int) (float64, string, int) {
		if mx.Seconds[i][j] == nil {
			return 0, mx.Sources[i][j], mx.Samples[i][j]
		}
		return *mx.Seconds[i][j], mx.Sources[i][j], mx.Samples[i][j]
	}
	sec, src, n := cell(0, 1)
	assert.Equal(t, SourceMeasured, src)
	assert.Equal(t, 3, n, "a1→b1, a2→b1, b1→a1")
	assert.InDelta(t, 0.002, sec, 1e-12, "median of 1, 2 and 3 ms")
	sec2, _, _ := cell(1, 0)
	assert.Equal(t, sec, sec2, "symmetric")
	sec, src, n = cell(0, 0)
	assert.Equal(t, SourceMeasured, src, "within n1")
	assert.Equal(t, 1, n)
	assert.InDelta(t, 0.0001, sec, 1e-12)
	sec, src, n = cell(0, 3)
	assert.Equal(t, SourceEstimated, src)
	assert.Equal(t, 2, n, "a1-d1 and a2-d1")
	assert.InDelta(t, (0.020+0.0198)/2+2e-5, sec, 1e-6)
	_, src, _ = cell(1, 1)
	assert.Empty(t, src, "one member on n2: nothing to estimate within it")
	for j := range mx.Nodes {
		assert.Nil(t, mx.Seconds[2][j], "n3 has no coordinate and no measurement")
	}
}

func TestNodeMatrixBounds(t *testing.T) {
	s, _ := newTestStore(t, func(c *StoreConfig) { c.MaxMatrixNodes = 2 })
	a, b, c := member("x", "a", "n1"), member("x", "b", "n2"), member("x", "c", "n3")
	c.Meta.Zone = "z2"
	a.Meta.Zone, b.Meta.Zone = "z1", "z1"
	s.Sync([]gossip.Member{a, b, c})
	_, err := s.NodeMatrix("")
	require.True(t, errors.Is(err, ErrTooManyNodes))
	assert.Contains(t, err.Error(), "3 nodes exceed the limit of 2: select a zone with ?zone=")
	mx, err := s.NodeMatrix("z1")
	require.NoError(t, err)
	assert.Equal(t, []string{"n1", "n2"}, mx.Nodes)
}

func TestPairIndexPacksTheTriangle(t *testing.T) {
	const n = 7
	seen := map[int]bool{}
	for i := range n {
		for j := i; j < n; j++ {
			k := pairIndex(i, j, n)
			assert.Equal(t, k, pairIndex(j, i, n))
			assert.False(t, seen[k], "%d,%d", i, j)
			assert.Less(t, k, n*(n+1)/2)
			seen[k] = true
		}
	}
}
