package leader

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestRunner(tasks []Task, stopTimeout time.Duration) (*runner, prometheus.Gauge, *syncBuffer) {
	logs := &syncBuffer{}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "meshprobe_leader"})
	return &runner{tasks: tasks, log: slog.New(slog.NewTextHandler(logs, nil)), gauge: g, stopTimeout: stopTimeout}, g, logs
}

func TestRunnerStartsAndStopsTasks(t *testing.T) {
	var running atomic.Int32
	started := make(chan struct{}, 2)
	task := func(ctx context.Context) error {
		running.Add(1)
		started <- struct{}{}
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // clean-up work that stop must wait for
		running.Add(-1)
		return nil
	}
	r, gauge, _ := newTestRunner([]Task{{"a", task}, {"b", task}}, 5*time.Second)
	r.start(t.Context(), t.Context())
	<-started
	<-started
	assert.True(t, r.leading())
	assert.InDelta(t, 1, testutil.ToFloat64(gauge), 0)

	r.stop()
	assert.Zero(t, running.Load(), "stop waits until every task has returned")
	assert.False(t, r.leading())
	assert.InDelta(t, 0, testutil.ToFloat64(gauge), 0)
}

func TestRunnerStopIsBounded(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := func(ctx context.Context) error { <-release; return nil } // ignores ctx
	r, _, logs := newTestRunner([]Task{{"stuck", stuck}}, 200*time.Millisecond)
	r.start(t.Context(), t.Context())
	stopped := make(chan time.Duration, 1)
	go func() {
		begin := time.Now()
		r.stop()
		stopped <- time.Since(begin)
	}()
	// The stuck task returns only when the test ends, so a stop that waited for it
	// would never return: the minute is a liveness bound, not a speed target (a
	// loaded machine took 6.6 s for the 200 ms grace under -race).
	select {
	case took := <-stopped:
		assert.GreaterOrEqual(t, took, 200*time.Millisecond, "stop gives the task its grace period first")
	case <-time.After(time.Minute):
		t.Fatal("stop waited for a task that ignores its context")
	}
	assert.Contains(t, logs.String(), "abandoning")
	assert.Contains(t, logs.String(), "stuck")
	assert.False(t, r.leading())
}

func TestRunnerDoesNotStartADeadTerm(t *testing.T) {
	var ran atomic.Bool
	r, gauge, _ := newTestRunner([]Task{{"a", func(context.Context) error { ran.Store(true); return nil }}}, time.Second)
	lead, cancel := context.WithCancel(t.Context())
	cancel()
	r.start(t.Context(), lead)
	shutdown, cancel2 := context.WithCancel(t.Context())
	cancel2()
	r.start(shutdown, t.Context())
	time.Sleep(50 * time.Millisecond)
	assert.False(t, ran.Load())
	assert.False(t, r.leading())
	assert.InDelta(t, 0, testutil.ToFloat64(gauge), 0)
	r.stop() // no term: returns at once
}

func TestRunnerRestartsFailingTasks(t *testing.T) {
	var calls atomic.Int32
	done := make(chan struct{})
	flaky := func(ctx context.Context) error {
		switch calls.Add(1) {
		case 1:
			return errors.New("boom")
		case 2:
			panic("kaboom")
		}
		close(done)
		<-ctx.Done()
		return nil
	}
	r, _, logs := newTestRunner([]Task{{"flaky", flaky}}, time.Second)
	r.start(t.Context(), t.Context())
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("task was not restarted after an error and a panic")
	}
	r.stop()
	assert.Equal(t, int32(3), calls.Load())
	assert.Contains(t, logs.String(), "boom")
	assert.Contains(t, logs.String(), "panic: kaboom")
}

func TestRunnerFinishedTaskIsNotRestarted(t *testing.T) {
	var calls atomic.Int32
	r, _, _ := newTestRunner([]Task{{"once", func(context.Context) error { calls.Add(1); return nil }}}, time.Second)
	r.start(t.Context(), t.Context())
	time.Sleep(100 * time.Millisecond)
	assert.True(t, r.leading(), "the term lasts while the Lease is held")
	r.stop()
	assert.Equal(t, int32(1), calls.Load())
}

func TestValidation(t *testing.T) {
	noop := func(context.Context) error { return nil }
	require.ErrorContains(t, validateTasks([]Task{{"", noop}}), "no name")
	require.ErrorContains(t, validateTasks([]Task{{"a", nil}}), `"a" has no Run`)
	require.ErrorContains(t, validateTasks([]Task{{"a", noop}, {"a", noop}}), `two tasks are named "a"`)
	require.NoError(t, validateTasks([]Task{{"a", noop}, {"b", noop}}))

	cfg := DefaultConfig()
	require.ErrorContains(t, cfg.validate(), "empty identity")
	cfg.Identity = "pod-a"
	require.NoError(t, cfg.validate())
	cfg.RenewDeadline = cfg.LeaseDuration
	require.ErrorContains(t, cfg.validate(), "must be longer than renew deadline")
	cfg = DefaultConfig()
	cfg.Identity, cfg.RetryPeriod = "pod-a", 9*time.Second
	require.ErrorContains(t, cfg.validate(), "1.2 x retry period")
}
