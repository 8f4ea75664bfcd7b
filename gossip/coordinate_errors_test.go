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

// labTimeout bounds the wait for the coordinates to settle.
const labTimeout = 60 * time.Second

// labSnapshots is how many snapshots, one a second, the figures are medians of.
const labSnapshots = 5

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
		// settled is the members' median error estimate that ends convergence.
		settled float64
	}{
		{"veth", func(int) time.Duration { return 0 }, func(t *testing.T, e labErrorStats) {
			assert.Less(t, e.absMedian, 150*time.Microsecond)
			assert.Less(t, e.absP90, 500*time.Microsecond)
		}, 0.6},
		{"access-delays", func(i int) time.Duration { return time.Duration(i) * 500 * time.Microsecond }, func(t *testing.T, e labErrorStats) {
			assert.Less(t, e.relMedian, 0.25)
			assert.Less(t, e.relP90, 0.6)
		}, 0.15},
	} {
		t.Run(sc.name, func(t *testing.T) {
			for i, s := range spaces {
				l.start(i, s, sc.delay(i))
			}
			defer l.stop()
			require.Eventually(t, func() bool { return labComplete(l.snapshot()) }, 30*time.Second, 100*time.Millisecond,
				"every member has a coordinate and echo RTTs to every other")
			e := l.converge(t, sc.settled)
			t.Logf("%s: %d pairs, measured echo RTT median %v (%v to %v); absolute error median %v, p90 %v; relative error median %.1f%%, p90 %.1f%%; members' error estimate median %.2f",
				sc.name, e.pairs, e.rttMedian, e.rttMin, e.rttMax, e.absMedian, e.absP90, 100*e.relMedian, 100*e.relP90, e.estimate)
			assert.Equal(t, labMembers*(labMembers-1), e.pairs)
			sc.check(t, e)
		})
	}
}

// converge waits until the coordinates settle: at least labConverge, and until
// the members' median error estimate is at most settled (within labTimeout).
// It returns the errors of the last labSnapshots snapshots, one a second, each
// figure their median: the emulated delays are timers, late now and then on a
// loaded machine, and a burst of late ones moves coordinates for a second.
func (l *coordLab) converge(t *testing.T, settled float64) labErrorStats {
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last []labErrorStats
	for {
		e := labErrors(l.snapshot())
		if last = append(last, e); len(last) > labSnapshots {
			last = last[1:]
		}
		if elapsed := time.Since(start); elapsed >= labConverge && e.estimate <= settled || elapsed >= labTimeout {
			t.Logf("settled after %v (error estimate median %.2f)", elapsed.Round(time.Second), e.estimate)
			return medianStats(last)
		}
		<-tick.C
	}
}

// medianStats returns the last of s with each error figure the median of s's.
func medianStats(s []labErrorStats) labErrorStats {
	med := func(f func(labErrorStats) float64) float64 {
		v := make([]float64, len(s))
		for i, e := range s {
			v[i] = f(e)
		}
		return quantile(v, 0.5)
	}
	out := s[len(s)-1]
	out.absMedian = seconds(med(func(e labErrorStats) float64 { return e.absMedian.Seconds() }))
	out.absP90 = seconds(med(func(e labErrorStats) float64 { return e.absP90.Seconds() }))
	out.relMedian = med(func(e labErrorStats) float64 { return e.relMedian })
	out.relP90 = med(func(e labErrorStats) float64 { return e.relP90 })
	out.estimate = med(func(e labErrorStats) float64 { return e.estimate })
	return out
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
