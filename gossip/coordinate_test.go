package gossip

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// coordRefused returns a member's meshprobe_gossip_coordinate_refused_total.
func coordRefused(t *testing.T, reg prometheus.Gatherer, reason string) float64 {
	t.Helper()
	return promtest.CounterValue(t, reg, "meshprobe_gossip_coordinate_refused_total", map[string]string{"reason": reason})
}

// coordErrorGauge returns a member's meshprobe_gossip_coordinate_error.
func coordErrorGauge(t *testing.T, reg prometheus.Gatherer) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "meshprobe_gossip_coordinate_error" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no meshprobe_gossip_coordinate_error")
	return 0
}

// A new member exports the error gauge at Serf's maximum and every refusal
// reason at zero, and has no coordinate until an RTT sample updates it.
func TestCoordinateMetricsInitialised(t *testing.T) {
	m, reg := newExpositionMesh(t)
	assert.Nil(t, m.Coordinate())
	var want strings.Builder
	want.WriteString("# HELP meshprobe_gossip_coordinate_error Error estimate of this member's Vivaldi network coordinate (0 to 1.5, lower is better; 1.5 before any update).\n")
	want.WriteString("# TYPE meshprobe_gossip_coordinate_error gauge\nmeshprobe_gossip_coordinate_error 1.5\n")
	want.WriteString("# HELP meshprobe_gossip_coordinate_refused_total Peer coordinates in SWIM ack payloads refused, by reason (size, version, dimension, invalid, magnitude, capacity, update).\n")
	want.WriteString("# TYPE meshprobe_gossip_coordinate_refused_total counter\n")
	for _, r := range coordRefusedReasons {
		fmt.Fprintf(&want, "meshprobe_gossip_coordinate_refused_total{reason=%q} 0\n", r)
	}
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want.String()),
		"meshprobe_gossip_coordinate_error", "meshprobe_gossip_coordinate_refused_total"))
}

// The ping delegate caches a live peer's coordinate from its ack payload, and
// the echo prober's RTTs to that peer update this member's coordinate (by
// default; without echo, the SWIM RTTs do). An empty payload (a release before
// coordinates) and a peer this member does not list are skipped; a bad payload
// is refused and counted by reason; a peer that leaves is forgotten.
func TestCoordinatePingDelegate(t *testing.T) {
	m, reg := newExpositionMesh(t)
	ev, p := events{m}, pings{m}
	const peer, stranger = "ns/peer/00000001", "ns/stranger/00000002"
	meta, err := Meta{Pod: "peer", Namespace: "ns", Role: RoleSidecar}.Encode(MetaMaxSize)
	require.NoError(t, err)
	ev.NotifyJoin(memberlistNode(peer, meta))
	payload := encodeCoordinate(nil, sampleCoordinate())

	p.NotifyPingComplete(memberlistNode(peer, nil), time.Millisecond, nil)
	p.NotifyPingComplete(memberlistNode(stranger, nil), time.Millisecond, payload)
	m.coords.observeEcho(peer, time.Millisecond)
	m.coords.observeEcho(stranger, time.Millisecond)
	assert.Nil(t, m.Coordinate(), "no coordinate from an empty payload or a stranger's")
	_, ok := m.PeerCoordinate(stranger)
	assert.False(t, ok)

	p.NotifyPingComplete(memberlistNode(peer, nil), time.Millisecond, payload)
	assert.Nil(t, m.Coordinate(), "with echo on, a SWIM RTT does not update the coordinate")
	got, ok := m.PeerCoordinate(peer)
	require.True(t, ok)
	assert.InDelta(t, sampleCoordinate().Height, got.Height, 1e-9)
	got.Vec[0] = 42
	again, _ := m.PeerCoordinate(peer)
	assert.NotEqual(t, 42.0, again.Vec[0], "PeerCoordinate returns a copy")

	m.coords.observeEcho(peer, time.Millisecond)
	require.NotNil(t, m.Coordinate(), "an echo RTT to a peer with a coordinate updates it")
	assert.Less(t, m.Coordinate().Error, maxCoordinateError)
	assert.Less(t, coordErrorGauge(t, reg), maxCoordinateError)

	p.NotifyPingComplete(memberlistNode(peer, nil), time.Millisecond, append([]byte{9}, payload[1:]...))
	m.coords.observeEcho(peer, 11*time.Second)
	bad := sampleCoordinate()
	bad.Height = math.NaN()
	p.NotifyPingComplete(memberlistNode(peer, nil), time.Millisecond, encodeCoordinate(nil, bad))
	assert.Equal(t, 1.0, coordRefused(t, reg, CoordRefusedVersion))
	assert.Equal(t, 1.0, coordRefused(t, reg, CoordRefusedUpdate), "the library refuses an RTT over 10 s")
	assert.Equal(t, 1.0, coordRefused(t, reg, CoordRefusedInvalid))
	assert.Zero(t, coordRefused(t, reg, CoordRefusedSize))
	_, ok = m.PeerCoordinate(peer)
	assert.True(t, ok, "a refused payload keeps the peer's previous coordinate")

	ev.NotifyLeave(memberlistNode(peer, nil))
	_, ok = m.PeerCoordinate(peer)
	assert.False(t, ok, "a member that left is dropped from the cache")
}

// Without the echo prober, SWIM RTTs update the coordinate.
func TestCoordinateFromSWIMWithoutEcho(t *testing.T) {
	c := newTestCoordinates(t, true)
	c.observeEcho("ns/p/00000000", time.Millisecond)
	assert.Nil(t, c.local())
	c.observeAck("ns/p/00000000", encodeCoordinate(nil, sampleCoordinate()), time.Millisecond)
	assert.NotNil(t, c.local())
}

func newTestCoordinates(t *testing.T, swimRTT bool) *coordinates {
	c, err := newCoordinates(testConfig(t, "ns/me/00000000", "/nonexistent").Logger, false, swimRTT, func(string) bool { return true })
	require.NoError(t, err)
	return c
}

// The per-peer cache holds at most maxCachedCoordinates peers; a further peer
// is refused as capacity, a cached one still updates.
func TestCoordinateCacheBounded(t *testing.T) {
	c := newTestCoordinates(t, true)
	payload := encodeCoordinate(nil, sampleCoordinate())
	for i := range maxCachedCoordinates {
		c.observeAck(fmt.Sprintf("ns/p%d/00000000", i), payload, time.Millisecond)
	}
	require.Zero(t, c.refusedCount(CoordRefusedCapacity))
	c.observeAck("ns/one-too-many/00000000", payload, time.Millisecond)
	assert.Equal(t, uint64(1), c.refusedCount(CoordRefusedCapacity))
	_, ok := c.peer("ns/one-too-many/00000000")
	assert.False(t, ok)
	c.observeAck("ns/p0/00000000", payload, time.Millisecond)
	assert.Equal(t, uint64(1), c.refusedCount(CoordRefusedCapacity), "a cached peer still updates")
}

// Members of a real mesh exchange coordinates in their SWIM acks: each caches
// every other's, its own error estimate falls, and the estimates are loopback
// RTTs (well under 100 ms).
func TestCoordinatesInMesh(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	var ms []*running
	for i := range 3 {
		cfg := testConfig(t, fmt.Sprintf("ns/m%d/0000000%d", i, i), kf)
		if i > 0 {
			cfg.Join = []string{ms[0].Addr().String()}
		}
		ms = append(ms, startMesh(t, cfg))
		waitRunning(t, ms[i])
	}
	require.Eventually(t, func() bool {
		for _, a := range ms {
			for _, b := range ms {
				if _, ok := a.PeerCoordinate(b.LocalName()); a != b && !ok {
					return false
				}
			}
			if c := a.Coordinate(); c == nil || c.Error >= 1 {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "every member caches every other's coordinate and its error estimate falls")
	for _, a := range ms {
		for _, b := range ms {
			if a != b {
				assert.Less(t, EstimateRTT(a.Coordinate(), b.Coordinate()), 100*time.Millisecond)
			}
		}
		for _, r := range coordRefusedReasons {
			assert.Zero(t, coordRefused(t, a.reg, r), "%s: %s", a.LocalName(), r)
		}
	}
}

// A member of a release before coordinates (no ack payload, payloads ignored)
// and members of this release interoperate: every one measures SWIM RTT to
// every other both ways, the new members exchange coordinates with each other,
// an empty payload is neither cached nor refused, and the old member's acks
// carry nothing.
func TestMixedVersionCoordinates(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	var ms []*running
	for i := range 3 {
		cfg := testConfig(t, fmt.Sprintf("ns/m%d/0000000%d", i, i), kf)
		cfg.noCoordinates = i == 0
		if i > 0 {
			cfg.Join = []string{ms[0].Addr().String()}
		}
		ms = append(ms, startMesh(t, cfg))
		waitRunning(t, ms[i])
	}
	old, a, b := ms[0], ms[1], ms[2]
	require.Eventually(t, func() bool {
		_, ab := a.PeerCoordinate(b.LocalName())
		_, ba := b.PeerCoordinate(a.LocalName())
		return ab && ba && measuredBoth(old, others(ms, old)) && measuredBoth(a, others(ms, a)) && measuredBoth(b, others(ms, b))
	}, 20*time.Second, 20*time.Millisecond, "every member measures every other; the new ones exchange coordinates")
	for _, r := range []*running{a, b} {
		_, ok := r.PeerCoordinate(old.LocalName())
		assert.False(t, ok, "%s has no coordinate of the old member", r.LocalName())
		for _, reason := range coordRefusedReasons {
			assert.Zero(t, coordRefused(t, r.reg, reason), "%s: %s", r.LocalName(), reason)
		}
	}
	assert.Nil(t, old.Coordinate(), "the old member has no coordinate")
	assert.Nil(t, pings{old.Mesh}.AckPayload(), "the old member's acks carry no payload")
}
