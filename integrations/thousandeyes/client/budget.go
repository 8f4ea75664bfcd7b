package client

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate-limit response headers of the ThousandEyes API.
const (
	HeaderRateLimit     = "X-Organization-Rate-Limit-Limit"
	HeaderRateRemaining = "X-Organization-Rate-Limit-Remaining"
	HeaderRateReset     = "X-Organization-Rate-Limit-Reset"
)

// budget paces requests to share × limit per window and holds every request back
// until the window resets when the organisation's budget is spent (429 or
// Remaining 0). The pacing bucket has a burst of 1, so in any window the client
// sends at most share × limit + 1 requests.
type budget struct {
	mu           sync.Mutex
	share        float64
	window       time.Duration
	limit        int
	limiter      *rate.Limiter
	blockedUntil time.Time
	strikes      int // consecutive 429s, for the fallback wait
	minWait      time.Duration
	maxJitter    time.Duration
}

func newBudget(share float64, limit int, window, minWait, maxJitter time.Duration) *budget {
	b := &budget{share: share, window: window, limit: limit, minWait: minWait, maxJitter: maxJitter}
	b.limiter = rate.NewLimiter(b.rateFor(limit), 1)
	return b
}

func (b *budget) rateFor(limit int) rate.Limit {
	perWindow := b.share * float64(limit)
	if perWindow < 1 {
		perWindow = 1
	}
	return rate.Limit(perWindow / b.window.Seconds())
}

// wait blocks until a request may be sent, or ctx ends.
func (b *budget) wait(ctx context.Context) error {
	b.mu.Lock()
	until := b.blockedUntil
	b.mu.Unlock()
	if d := time.Until(until); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	return b.limiter.Wait(ctx)
}

// observe reads the rate-limit headers of a response. A changed Limit re-paces
// the client; a 429 or Remaining 0 blocks all requests until Reset plus jitter.
func (b *budget) observe(h http.Header, status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if limit, err := strconv.Atoi(h.Get(HeaderRateLimit)); err == nil && limit > 0 && limit != b.limit {
		b.limit = limit
		b.limiter.SetLimit(b.rateFor(limit))
	}
	remaining, remErr := strconv.Atoi(h.Get(HeaderRateRemaining))
	exhausted := remErr == nil && remaining <= 0
	if status != http.StatusTooManyRequests && !exhausted {
		b.strikes = 0
		return
	}
	if status == http.StatusTooManyRequests {
		b.strikes++
	}
	until := time.Now().Add(b.untilReset(h) + b.jitter())
	if until.After(b.blockedUntil) {
		b.blockedUntil = until
	}
}

// untilReset is how long until the window resets, measured against the server's
// own Date header when present so clock skew does not matter. Without a usable
// Reset it backs off from minWait, doubling per consecutive 429, up to a window.
func (b *budget) untilReset(h http.Header) time.Duration {
	reset, err := strconv.ParseInt(h.Get(HeaderRateReset), 10, 64)
	now := time.Now()
	if date, derr := http.ParseTime(h.Get("Date")); derr == nil {
		now = date
	}
	if err == nil {
		if d := time.Unix(reset, 0).Sub(now); d > 0 {
			return min(d, 2*b.window)
		}
	}
	d := b.minWait << min(b.strikes, 10)
	return min(d, b.window)
}

func (b *budget) jitter() time.Duration {
	if b.maxJitter <= 0 {
		return 0
	}
	return rand.N(b.maxJitter) //nolint:gosec // jitter needs no crypto randomness
}

// snapshot returns the current limit and the time requests are held until.
func (b *budget) snapshot() (limit int, blockedUntil time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit, b.blockedUntil
}
