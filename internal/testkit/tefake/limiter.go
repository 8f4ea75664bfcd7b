package tefake

import (
	"strconv"
	"sync"
	"time"
)

// windowLimiter counts requests in fixed windows aligned to the Unix epoch, as
// the organisation limit does.
type windowLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	count  int
}

func newWindowLimiter(limit int, window time.Duration) *windowLimiter {
	return &windowLimiter{limit: limit, window: window}
}

// take counts one request at now and reports whether it is within the limit, the
// requests remaining in this window, and when the window resets.
func (l *windowLimiter) take(now time.Time) (allowed bool, remaining int, reset time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := now.Truncate(l.window)
	if !start.Equal(l.start) {
		l.start, l.count = start, 0
	}
	reset = ceilSecond(start.Add(l.window))
	if l.limit < 0 {
		return true, 0, reset
	}
	if l.count >= l.limit {
		return false, 0, reset
	}
	l.count++
	return true, l.limit - l.count, reset
}

// state returns the remaining requests and the reset time without counting.
func (l *windowLimiter) state(now time.Time) (remaining int, reset time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := now.Truncate(l.window)
	reset = ceilSecond(start.Add(l.window))
	if !start.Equal(l.start) {
		return max(l.limit, 0), reset
	}
	return max(l.limit-l.count, 0), reset
}

func ceilSecond(t time.Time) time.Time {
	if t.Truncate(time.Second).Equal(t) {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

func itoa(n int) string { return strconv.Itoa(n) }
