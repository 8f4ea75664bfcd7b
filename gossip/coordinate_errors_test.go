package gossip

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// labMembers is the size of the coordinate lab's mesh.
const labMembers = 8

// labConverge is how long the members probe each other before the estimates
// are compared: about 200 coordinate updates per member (echo probes to 2 peers
// every 100 ms) and 30 echo samples per pair.
const labConverge = 10 * time.Second

// Vivaldi estimates against measured echo RTTs on a real mesh: 8 member
// processes in network namespaces on veth links, first as they are (RTTs of
// tens of microseconds), then with an access delay per member (0 to 3.5 ms
// added to every packet it sends, so pair RTTs of 0.5 to 7 ms; tc netem is not
// available everywhere, the Transport's test delay is). Logs the median and p90
// absolute and relative errors over the 56 directed pairs (EstimateRTT of the
// two members' reported coordinates against the first one's median echo RTT).
func TestCoordinateLab(t *testing.T) {
	l := newCoordLab(t)
	spaces := make([]string, labMembers)
	for i := range spaces {
		spaces[i] = l.wire(i)
	}
	for _, sc := range []struct {
		name  string
		delay func(i int) time.Duration
		// check bounds the errors: absolute ones on bare veth links, whose RTTs
		// are about as small as their jitter; relative ones with delays.
		check func(t *testing.T, e labErrorStats)
	}{
		{"veth", func(int) time.Duration { return 0 }, func(t *testing.T, e labErrorStats) {
			assert.Less(t, e.absMedian, 150*time.Microsecond)
			assert.Less(t, e.absP90, 500*time.Microsecond)
		}},
		{"access-delays", func(i int) time.Duration { return time.Duration(i) * 500 * time.Microsecond }, func(t *testing.T, e labErrorStats) {
			assert.Less(t, e.relMedian, 0.2)
			assert.Less(t, e.relP90, 0.5)
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			for i, s := range spaces {
				l.start(i, s, sc.delay(i))
			}
			defer l.stop()
			require.Eventually(t, func() bool { return labComplete(l.snapshot()) }, 30*time.Second, 100*time.Millisecond,
				"every member has a coordinate and echo RTTs to every other")
			time.Sleep(labConverge)
			e := labErrors(l.snapshot())
			t.Logf("%s: %d pairs, measured echo RTT median %v (%v to %v); absolute error median %v, p90 %v; relative error median %.1f%%, p90 %.1f%%; members' error estimate median %.2f",
				sc.name, e.pairs, e.rttMedian, e.rttMin, e.rttMax, e.absMedian, e.absP90, 100*e.relMedian, 100*e.relP90, e.estimate)
			assert.Equal(t, labMembers*(labMembers-1), e.pairs)
			sc.check(t, e)
		})
	}
}

// labComplete reports whether every member reported a coordinate and echo
// RTTs to every other.
func labComplete(reports map[string]labReport) bool {
	if len(reports) < labMembers {
		return false
	}
	for _, r := range reports {
		if r.Coord == nil || len(r.Echo) < labMembers-1 {
			return false
		}
	}
	return true
}

// labErrorStats summarises estimate errors over directed pairs.
type labErrorStats struct {
	pairs                     int
	rttMedian, rttMin, rttMax time.Duration
	absMedian, absP90         time.Duration
	relMedian, relP90         float64
	// estimate is the median of the members' own error estimates.
	estimate float64
}

// labErrors compares, for every member a and peer b it measured, EstimateRTT
// of their reported coordinates with a's median echo RTT to b.
func labErrors(reports map[string]labReport) labErrorStats {
	var rtts, abs, rel, estimates []float64
	for _, a := range reports {
		estimates = append(estimates, a.Coord.Error)
		for peer, measured := range a.Echo {
			b, ok := reports[peer]
			if !ok || measured <= 0 {
				continue
			}
			d := math.Abs(EstimateRTT(a.Coord, b.Coord).Seconds() - measured)
			rtts, abs, rel = append(rtts, measured), append(abs, d), append(rel, d/measured)
		}
	}
	if len(rtts) == 0 {
		return labErrorStats{}
	}
	return labErrorStats{
		pairs:     len(rtts),
		rttMedian: seconds(quantile(rtts, 0.5)), rttMin: seconds(slices.Min(rtts)), rttMax: seconds(slices.Max(rtts)),
		absMedian: seconds(quantile(abs, 0.5)), absP90: seconds(quantile(abs, 0.9)),
		relMedian: quantile(rel, 0.5), relP90: quantile(rel, 0.9),
		estimate: quantile(estimates, 0.5),
	}
}

// quantile returns the q-quantile of s (nearest rank; s is not modified).
func quantile(s []float64, q float64) float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c[min(len(c)-1, int(math.Ceil(q*float64(len(c))))-1)]
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond)
}
