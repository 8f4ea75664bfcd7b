package checks

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// funcProber is a prober made of a function.
type funcProber func(ctx context.Context) error

func (f funcProber) probe(ctx context.Context, _ *observation) error { return f(ctx) }

// concurrency tracks how many calls are in flight and the most ever seen.
type concurrency struct {
	mu       sync.Mutex
	now, max int
}

func (c *concurrency) enter() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now++
	c.max = max(c.max, c.now)
}

func (c *concurrency) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now--
}

func (c *concurrency) peak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max
}

// startRunner runs p as a check with the given interval and timeout (below the
// annotation's minimums, which only spec.Parse enforces) until the test ends.
func startRunner(t *testing.T, sched *scheduler, name string, interval, timeout time.Duration, p prober) *runner {
	t.Helper()
	s := spec.Check{Name: name, Type: spec.TypeTCP, Interval: spec.Duration(interval), Timeout: spec.Duration(timeout), RunOn: spec.RunOnAll}
	r := &runner{spec: s, prober: p, state: newCheckState(s), sched: sched}
	r.start(t.Context())
	t.Cleanup(r.stop)
	return r
}

func TestSchedulerNeverOverlaps(t *testing.T) {
	var c concurrency
	var runs atomic.Int32
	slow := funcProber(func(ctx context.Context) error {
		c.enter()
		defer c.leave()
		runs.Add(1)
		select {
		case <-time.After(75 * time.Millisecond): // longer than the interval
		case <-ctx.Done():
		}
		return nil
	})
	startRunner(t, testScheduler(8), "slow", 30*time.Millisecond, 200*time.Millisecond, slow)
	require.Eventually(t, func() bool { return runs.Load() >= 5 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, c.peak(), "a check never runs alongside itself")
}

func TestSchedulerBoundsConcurrency(t *testing.T) {
	var c concurrency
	var runs atomic.Int32
	busy := funcProber(func(context.Context) error {
		c.enter()
		defer c.leave()
		runs.Add(1)
		time.Sleep(40 * time.Millisecond)
		return nil
	})
	sched := testScheduler(3)
	for i := range 10 {
		startRunner(t, sched, "busy"+string(rune('a'+i)), 50*time.Millisecond, 45*time.Millisecond, busy)
	}
	require.Eventually(t, func() bool { return runs.Load() >= 40 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 3, c.peak())
}

func TestSchedulerHangingTargetDoesNotBlockOthers(t *testing.T) {
	// The hung check holds its slot until its timeout (an hour): while it does,
	// the fast check keeps running in the other slot. Counting runs while the
	// hung one is still in flight asserts that, whatever the machine's load; a
	// scheduler that waited for the hung run would count none.
	inFlight := make(chan struct{})
	var hungDone atomic.Bool
	hang := funcProber(func(ctx context.Context) error {
		close(inFlight)
		<-ctx.Done()
		hungDone.Store(true)
		return ctx.Err()
	})
	var fastRuns atomic.Int32
	fast := funcProber(func(context.Context) error { fastRuns.Add(1); return nil })
	sched := testScheduler(2)
	// A short interval so that its first run starts soon (at a random offset
	// within it); runs never overlap, so the hung run is the only one.
	startRunner(t, sched, "hung", 50*time.Millisecond, time.Hour, hang)
	<-inFlight
	startRunner(t, sched, "fast", 20*time.Millisecond, 10*time.Millisecond, fast)
	require.Eventually(t, func() bool { return fastRuns.Load() >= 5 }, 30*time.Second, 10*time.Millisecond,
		"the fast check runs while the hung one holds its slot")
	assert.False(t, hungDone.Load(), "the hung check was still in flight")
}

func TestSchedulerHungTargetTimesOut(t *testing.T) {
	hang := funcProber(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	hung := startRunner(t, testScheduler(1), "hung", 300*time.Millisecond, 250*time.Millisecond, hang)
	require.Eventually(t, func() bool { return hung.state.snapshot().LastResult == ResultTimeout }, 30*time.Second, 10*time.Millisecond)
	assert.Equal(t, "timed out after 250ms", hung.state.snapshot().Error)
}

func TestSchedulerRetriesUpToRetries(t *testing.T) {
	var attempts atomic.Int32
	failing := funcProber(func(context.Context) error { attempts.Add(1); return errors.New("nope") })
	// A timeout far beyond the two backoffs (at most 125 ms + 250 ms), so only
	// Retries ends the run, however loaded the machine is.
	s := spec.Check{Name: "r", Type: spec.TypeTCP, Interval: spec.Duration(time.Minute), Timeout: spec.Duration(30 * time.Second), Retries: 2}
	r := &runner{spec: s, prober: failing, state: newCheckState(s), sched: testScheduler(1)}
	rec := r.attempts(t.Context())
	assert.Equal(t, ResultFailure, rec.result)
	assert.EqualError(t, rec.err, "nope")
	assert.Equal(t, int32(3), attempts.Load(), "one attempt and two retries")
	assert.Equal(t, 3, rec.attempts)
}

// The timeout bounds the retries: with Retries 100 and a 1 s budget, the backoffs
// (75-125 ms, 150-250 ms, 300-500 ms, then 600-1000 ms) leave room for at most four
// attempts, since the fourth backoff would always end past the budget. Load only
// delays attempts, so it can lower the count but never raise it.
func TestSchedulerRetriesWithinTimeout(t *testing.T) {
	var attempts atomic.Int32
	failing := funcProber(func(context.Context) error { attempts.Add(1); return errors.New("nope") })
	s := spec.Check{Name: "r", Type: spec.TypeTCP, Interval: spec.Duration(time.Minute), Timeout: spec.Duration(time.Second), Retries: 100}
	r := &runner{spec: s, prober: failing, state: newCheckState(s), sched: testScheduler(1)}
	start := time.Now()
	rec := r.attempts(t.Context())
	elapsed := time.Since(start)
	assert.Contains(t, []string{ResultFailure, ResultTimeout}, rec.result)
	assert.ErrorContains(t, rec.err, "nope")
	assert.LessOrEqual(t, attempts.Load(), int32(4))
	assert.Equal(t, int(attempts.Load()), rec.attempts)
	// Without the budget, 100 retries with backoff capped at 2 s take minutes.
	assert.Less(t, elapsed, 10*time.Second)
}

// sleepBackoff refuses at once a backoff that would end past the deadline.
func TestSleepBackoffRefusesPastDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	assert.False(t, sleepBackoff(ctx, 1), "the first backoff is at least 75 ms")
	assert.NoError(t, ctx.Err(), "refused without waiting for the deadline")
}

func TestSchedulerStopCancelsRun(t *testing.T) {
	started := make(chan struct{})
	hang := funcProber(func(ctx context.Context) error { close(started); <-ctx.Done(); return ctx.Err() })
	s := spec.Check{Name: "h", Type: spec.TypeTCP, Interval: spec.Duration(time.Millisecond), Timeout: spec.Duration(time.Hour)}
	r := &runner{spec: s, prober: hang, state: newCheckState(s), sched: testScheduler(1)}
	r.start(t.Context())
	<-started
	stopped := make(chan struct{})
	go func() { r.stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("stop did not cancel the run in flight")
	}
	assert.Equal(t, StatePending, r.state.snapshot().LastResult, "a cancelled run reports nothing")
}
