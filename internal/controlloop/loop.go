package controlloop

import (
	"context"
	"log/slog"
	"time"

	"k8s.io/utils/clock"
)

// Backoff after a failed pass: the first retry waits minBackoff, each further
// failure doubles the wait up to maxBackoff, and a pass that succeeds resets it.
const (
	minBackoff = time.Second
	maxBackoff = 30 * time.Second
)

// Config configures a Loop.
type Config struct {
	// Name starts the log line of a failed pass: "<Name>: pass failed; retrying".
	Name string
	// Clock is the time source of every wait. Default the real clock.
	Clock clock.Clock
	// Log receives the failed passes, at Warn. Default discard.
	Log *slog.Logger
	// Settle is how long the loop waits after a kick before it runs the pass, so
	// that a burst of changes is handled by one pass. Default 0: the pass runs at once.
	Settle time.Duration
}

// Loop runs a pass over and over until its context ends: at once after a kick
// (or Settle after it), when the wait the pass returned is over, and with
// backoff after a failure. Kick and OnChange (from the embedded Kicker) may be
// called from any goroutine; Run must run in one goroutine at a time.
type Loop struct {
	Kicker
	cfg Config
}

// New returns a Loop with no kick pending.
func New(cfg Config) *Loop {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Loop{Kicker: NewKicker(), cfg: cfg}
}

// Run calls pass at once, then again after each kick, after the wait pass
// returned, or after a failed pass once the backoff is over, until ctx ends. A
// failure is logged unless ctx has ended. Run returns when ctx ends; it does not
// interrupt a pass in progress, which gets ctx.
func (l *Loop) Run(ctx context.Context, pass func(context.Context) (wait time.Duration, err error)) {
	var retry time.Duration
	for {
		wait, err := pass(ctx)
		if err != nil {
			retry = min(max(2*retry, minBackoff), maxBackoff)
			wait = retry
			if ctx.Err() == nil {
				l.cfg.Log.Warn(l.cfg.Name+": pass failed; retrying", "in", retry, "err", err)
			}
		} else {
			retry = 0
		}
		if !l.sleep(ctx, wait) {
			return
		}
	}
}

// sleep waits for a kick (and then Settle) or for wait to pass. It reports
// false when ctx ended first.
func (l *Loop) sleep(ctx context.Context, wait time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-l.C():
		if l.cfg.Settle <= 0 {
			return true
		}
		select { // let the burst of changes that woke us settle into one pass
		case <-ctx.Done():
			return false
		case <-l.cfg.Clock.After(l.cfg.Settle):
		}
	case <-l.cfg.Clock.After(wait):
	}
	return true
}
