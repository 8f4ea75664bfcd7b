package missedinjection

import (
	"time"
)

// breaker keeps repair from looping: it remembers, per workload, the repair's
// restarts within RepairWindow, and the workloads it suspended. A restart has
// failed when a pod of the workload created after it still runs without the
// sidecar (the webhook was unreachable again); after RepairMaxRestarts failed
// restarts within the window the workload is suspended: not restarted again
// until it has no missed pod (someone fixed it), whoever leads meanwhile (the
// Events are the record, see seed).
type breaker struct {
	window    time.Duration
	max       int
	restarts  map[workload][]time.Time
	suspended map[workload]bool
}

// newBreaker returns the breaker of cfg, with the window widened to hold
// RepairMaxRestarts+1 cooldowns.
func newBreaker(cfg *Config) *breaker {
	window := max(cfg.RepairWindow, time.Duration(cfg.RepairMaxRestarts+1)*cfg.RepairCooldown)
	return &breaker{window: window, max: cfg.RepairMaxRestarts, restarts: map[workload][]time.Time{}, suspended: map[workload]bool{}}
}

// record notes a restart of w at at, to the second: pods' creation times,
// which it is compared with, have no finer resolution.
func (b *breaker) record(w workload, at time.Time) {
	b.restarts[w] = append(b.restarts[w], at.Truncate(time.Second))
}

// trips reports whether w's restarts within the window before now, after each
// of which a pod was created that is missed (newest is the newest missed pod's
// creation), reach the limit.
func (b *breaker) trips(w workload, now, newest time.Time) bool {
	failed := 0
	for _, at := range b.restarts[w] {
		if now.Sub(at) <= b.window && !newest.Before(at) {
			failed++
		}
	}
	return failed >= b.max
}

// suspend marks w suspended; it reports false when it already was.
func (b *breaker) suspend(w workload) bool {
	if b.suspended[w] {
		return false
	}
	b.suspended[w] = true
	return true
}

// keep forgets the workloads that have no missed pod any more, so that a
// repaired (or otherwise fixed) workload starts afresh, and restarts that left
// the window.
func (b *breaker) keep(missed map[workload]*missedPods, now time.Time) {
	for w, times := range b.restarts {
		kept := times[:0]
		for _, at := range times {
			if now.Sub(at) <= b.window {
				kept = append(kept, at)
			}
		}
		b.restarts[w] = kept
		if len(kept) == 0 || missed[w] == nil {
			delete(b.restarts, w)
		}
	}
	for w := range b.suspended {
		if missed[w] == nil {
			delete(b.suspended, w)
		}
	}
}

// suspendedByNamespace counts the suspended workloads per namespace, for the gauge.
func (b *breaker) suspendedByNamespace() map[string]int {
	out := map[string]int{}
	for w := range b.suspended {
		out[w.namespace]++
	}
	return out
}
