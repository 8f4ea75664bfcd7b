package checks

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// Backoff between the attempts of a run: doubling from backoffBase, at most
// backoffMax, with ±25% jitter; never past the run's timeout.
const (
	backoffBase = 100 * time.Millisecond
	backoffMax  = 2 * time.Second
)

// wakeGranularity aligns run times, so that checks due within the same few
// milliseconds share one wakeup of the process instead of one each.
const wakeGranularity = 10 * time.Millisecond

// runner runs one check on its interval until stopped.
type runner struct {
	spec   spec.Check
	prober prober
	state  *checkState
	sched  *scheduler
	cancel context.CancelFunc
	done   chan struct{}
}

// scheduler is what the runners share: the concurrency bound, the election and
// the logger.
type scheduler struct {
	slots    chan struct{}
	election election
	logger   *slog.Logger
	now      func() time.Time
}

// start runs the loop in a goroutine under ctx.
func (r *runner) start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go r.loop(ctx)
}

// stop ends the loop (an attempt in flight is cancelled) and waits for it.
func (r *runner) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
}

// loop runs the check first at a random offset within its interval, then once
// per interval at that phase. Runs never overlap: a run that overruns the next
// slot makes the loop skip to the slot after it.
func (r *runner) loop(ctx context.Context) {
	defer close(r.done)
	interval := r.spec.Interval.D()
	next := time.Now().Add(rand.N(interval)).Truncate(wakeGranularity)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		r.runOnce(ctx)
		now := time.Now()
		for !next.After(now) {
			next = next.Add(interval)
		}
		timer.Reset(next.Sub(now))
	}
}

// runOnce runs the check if this member is elected to (election.go), within a concurrency
// slot, and records the outcome.
func (r *runner) runOnce(ctx context.Context) {
	d := r.sched.election.decide(r.spec.Name, r.spec.RunOn)
	if !d.run {
		r.state.notHere(d)
		return
	}
	select {
	case r.sched.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	rec := r.attempts(ctx)
	<-r.sched.slots
	if ctx.Err() != nil {
		return // stopped mid-run: no result to report
	}
	r.report(rec, d.runner)
}

// attempts makes up to 1+retries attempts within the timeout.
func (r *runner) attempts(parent context.Context) runRecord {
	rec := runRecord{start: r.sched.now()}
	began := time.Now()
	ctx, cancel := context.WithTimeout(parent, r.spec.Timeout.D())
	defer cancel()
	for {
		rec.attempts++
		rec.obs = observation{}
		rec.err = r.prober.probe(ctx, &rec.obs)
		if rec.err == nil || rec.attempts > r.spec.Retries || !sleepBackoff(ctx, rec.attempts) {
			break
		}
	}
	rec.duration = time.Since(began)
	switch {
	case rec.err == nil:
		rec.result = ResultSuccess
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || !time.Now().Before(began.Add(r.spec.Timeout.D())):
		// Connection deadlines taken from ctx can fire a moment before ctx does.
		rec.result = ResultTimeout
		rec.err = timeoutError(r.spec.Timeout, rec.err)
	default:
		rec.result = ResultFailure
	}
	return rec
}

// sleepBackoff waits before attempt n+1; false if the timeout would pass first.
func sleepBackoff(ctx context.Context, n int) bool {
	d := min(backoffBase<<(n-1), backoffMax)
	d = d*3/4 + rand.N(d/2)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// timeoutError says the run hit its timeout, keeping what the attempt saw.
func timeoutError(timeout spec.Duration, err error) error {
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return errors.New("timed out after " + timeout.String())
	}
	return errors.New("timed out after " + timeout.String() + ": " + err.Error())
}

// report records the run and logs when the check goes up or down.
func (r *runner) report(rec runRecord, runner string) {
	before := r.state.snapshot().LastResult
	r.state.record(rec, runner)
	wasUp, isUp := before == ResultSuccess, rec.result == ResultSuccess
	switch {
	case isUp && !wasUp && before != StatePending:
		r.sched.logger.Info("check recovered", "check", r.spec.Name, "type", r.spec.Type)
	case !isUp && (wasUp || before == StatePending):
		r.sched.logger.Warn("check failing", "check", r.spec.Name, "type", r.spec.Type,
			"result", rec.result, "err", rec.err)
	}
}
