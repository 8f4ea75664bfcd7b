package controlloop

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	testingclock "k8s.io/utils/clock/testing"
)

var errPass = errors.New("boom")

// result is what one scripted pass returns.
type result struct {
	wait time.Duration
	err  error
}

// harness runs a Loop on a fake clock with a scripted pass.
type harness struct {
	clk   *testingclock.FakeClock
	loop  *Loop
	logs  *recorder
	calls chan time.Time // the clock's time at each pass
	done  chan struct{}  // closed when Run returns
}

// run starts Run with a pass that returns script[i] on its i-th call (the last
// entry once the script is used up). ctx ending stops it.
func run(t *testing.T, ctx context.Context, settle time.Duration, script ...result) *harness {
	t.Helper()
	h := &harness{
		clk:   testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		logs:  &recorder{},
		calls: make(chan time.Time, 64),
		done:  make(chan struct{}),
	}
	h.loop = New(Config{Name: "widget", Clock: h.clk, Log: slog.New(h.logs), Settle: settle})
	n := 0
	pass := func(context.Context) (time.Duration, error) {
		r := script[min(n, len(script)-1)]
		n++
		h.calls <- h.clk.Now()
		return r.wait, r.err
	}
	go func() {
		defer close(h.done)
		h.loop.Run(ctx, pass)
	}()
	t.Cleanup(func() {
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	return h
}

// pass waits for the next pass and returns the clock's time at it.
func (h *harness) pass(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-h.calls:
		return at
	case <-time.After(5 * time.Second):
		t.Fatal("no pass")
		return time.Time{}
	}
}

// noPass asserts that no pass has run since the last one taken.
func (h *harness) noPass(t *testing.T) {
	t.Helper()
	select {
	case at := <-h.calls:
		t.Fatalf("unexpected pass at %v", at)
	default:
	}
}

// waiters waits until n timers wait on the clock.
func (h *harness) waiters(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return h.clk.Waiters() == n }, 5*time.Second, time.Millisecond,
		"want %d waiters on the clock", n)
}

// stopped asserts that Run returns.
func (h *harness) stopped(t *testing.T) {
	t.Helper()
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestRunWaits(t *testing.T) {
	for name, tc := range map[string]struct {
		script []result
		waits  []time.Duration // between consecutive passes, in seconds
	}{
		"backoff doubles from 1s and stops at 30s": {
			script: []result{{wait: time.Hour, err: errPass}},
			waits:  []time.Duration{1, 2, 4, 8, 16, 30, 30, 30},
		},
		"the wait a pass returns is honoured": {
			script: []result{{wait: 5 * time.Second}, {wait: 90 * time.Second}, {wait: time.Second}},
			waits:  []time.Duration{5, 90, 1, 1},
		},
		"a good pass resets the backoff": {
			script: []result{{err: errPass}, {err: errPass}, {err: errPass}, {wait: 7 * time.Second}, {err: errPass}, {err: errPass}},
			waits:  []time.Duration{1, 2, 4, 7, 1, 2},
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := run(t, t.Context(), 0, tc.script...)
			last := h.pass(t)
			for i, w := range tc.waits {
				w *= time.Second
				h.waiters(t, 1)
				h.clk.Step(w - time.Millisecond)
				require.Equal(t, 1, h.clk.Waiters(), "wait %d fired early", i)
				h.noPass(t)
				h.clk.Step(time.Millisecond)
				at := h.pass(t)
				assert.Equal(t, w, at.Sub(last), "wait %d", i)
				last = at
			}
		})
	}
}

func TestRunLogsFailures(t *testing.T) {
	h := run(t, t.Context(), 0, result{err: errPass}, result{err: errPass}, result{wait: time.Hour})
	h.pass(t)
	h.waiters(t, 1)
	h.clk.Step(time.Second)
	h.pass(t)
	h.waiters(t, 1)
	h.clk.Step(2 * time.Second)
	h.pass(t)
	h.waiters(t, 1)

	recs := h.logs.records()
	require.Len(t, recs, 2, "one line per failed pass, none for the good one")
	for i, want := range []time.Duration{time.Second, 2 * time.Second} {
		r := recs[i]
		assert.Equal(t, slog.LevelWarn, r.Level)
		assert.Equal(t, "widget: pass failed; retrying", r.Message)
		assert.Equal(t, map[string]any{"in": want, "err": errPass}, attrs(r))
	}
}

func TestRunDoesNotLogAfterContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	logs := &recorder{}
	l := New(Config{Name: "widget", Clock: testingclock.NewFakeClock(time.Now()), Log: slog.New(logs)})
	l.Run(ctx, func(context.Context) (time.Duration, error) {
		cancel() // the pass failed because leadership was lost
		return 0, errPass
	})
	assert.Empty(t, logs.records())
}

func TestKickRunsAPass(t *testing.T) {
	h := run(t, t.Context(), 0, result{wait: time.Hour})
	first := h.pass(t)
	h.waiters(t, 1)
	h.loop.Kick()
	assert.Equal(t, first, h.pass(t), "the pass after a kick runs at once")
	h.noPass(t)
}

func TestOnChangeKicks(t *testing.T) {
	h := run(t, t.Context(), 0, result{wait: time.Hour})
	h.pass(t)
	handler := h.loop.OnChange()
	for _, change := range []func(){
		func() { handler.OnAdd(nil, false) },
		func() { handler.OnUpdate(nil, nil) },
		func() { handler.OnDelete(nil) },
	} {
		change()
		h.pass(t)
	}
}

func TestSettleAfterKick(t *testing.T) {
	const settle = 2 * time.Second
	h := run(t, t.Context(), settle, result{wait: time.Hour})
	start := h.pass(t)
	h.waiters(t, 1) // the hour
	h.loop.Kick()
	h.waiters(t, 2) // and the settle time
	h.clk.Step(settle - time.Millisecond)
	h.noPass(t)
	h.loop.Kick() // a change while settling: it gets a pass of its own
	h.clk.Step(time.Millisecond)
	assert.Equal(t, start.Add(settle), h.pass(t))

	// The pending kick settles again before the third pass.
	h.waiters(t, 3) // the first hour, the second hour, the settle time
	h.clk.Step(settle - time.Millisecond)
	h.noPass(t)
	h.clk.Step(time.Millisecond)
	assert.Equal(t, start.Add(2*settle), h.pass(t))
}

func TestRunReturnsWhenContextEnds(t *testing.T) {
	for name, tc := range map[string]struct {
		settle time.Duration
		result result
		kick   bool
	}{
		"waiting":     {result: result{wait: time.Hour}},
		"backing off": {result: result{err: errPass}},
		"settling":    {settle: time.Hour, result: result{wait: time.Hour}, kick: true},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			h := run(t, ctx, tc.settle, tc.result)
			h.pass(t)
			h.waiters(t, 1)
			if tc.kick {
				h.loop.Kick()
				h.waiters(t, 2)
			}
			cancel()
			h.stopped(t)
			h.noPass(t)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	l := New(Config{Name: "widget"}) // the real clock, no log
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	l.Run(ctx, func(context.Context) (time.Duration, error) {
		if n++; n == 3 {
			cancel()
		}
		return time.Millisecond, nil
	})
	assert.Equal(t, 3, n)
}

// recorder is a slog.Handler that keeps the records.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}

func (r *recorder) records() []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]slog.Record(nil), r.recs...)
}

func attrs(r slog.Record) map[string]any {
	out := map[string]any{}
	r.Attrs(func(a slog.Attr) bool {
		out[a.Key] = a.Value.Any()
		return true
	})
	return out
}
