package heartbeat

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Rate is a request budget per client: Limit requests per Period.
// The zero Rate means no limit.
type Rate struct {
	// Limit is the number of requests allowed in each Period.
	Limit int64
	// Period is the length of the window.
	Period time.Duration
}

// Unlimited reports whether r imposes no limit.
func (r Rate) Unlimited() bool { return r.Limit == 0 }

// String formats r in the RATE_LIMIT format, "off" when unlimited.
func (r Rate) String() string {
	if r.Unlimited() {
		return "off"
	}
	for unit, d := range rateUnits {
		if r.Period == d {
			return strconv.FormatInt(r.Limit, 10) + "-" + unit
		}
	}
	return fmt.Sprintf("%d per %s", r.Limit, r.Period)
}

var rateUnits = map[string]time.Duration{
	"S": time.Second, "M": time.Minute, "H": time.Hour, "D": 24 * time.Hour,
}

// maxRateLimit caps the limit so that counters cannot overflow.
const maxRateLimit = 1 << 40

// ParseRate parses the RATE_LIMIT format of k8s-heartbeat (ulule/limiter):
// "<limit>-<unit>" where unit is S, M, H or D (per second, minute, hour, day),
// for example "3600-H". "off" (or "0") disables the limit.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if isOff(s) {
		return Rate{}, nil
	}
	num, unit, ok := strings.Cut(s, "-")
	if !ok {
		return Rate{}, fmt.Errorf("heartbeat: RATE_LIMIT %s: want <limit>-<S|M|H|D>, for example 3600-H, or off", quote(s))
	}
	period, ok := rateUnits[strings.ToUpper(unit)]
	if !ok {
		return Rate{}, fmt.Errorf("heartbeat: RATE_LIMIT unit %s: want S, M, H or D, as in 3600-H", quote(unit))
	}
	limit, err := strconv.ParseInt(num, 10, 64)
	if err != nil || limit < 1 || limit > maxRateLimit {
		return Rate{}, fmt.Errorf("heartbeat: RATE_LIMIT limit %s: want a whole number from 1 to %d, as in 3600-H", quote(num), int64(maxRateLimit))
	}
	return Rate{Limit: limit, Period: period}, nil
}

// limiter counts requests per client in fixed windows, as ulule/limiter does.
// It is safe for concurrent use. It remembers at most maxClients clients; when
// that many are inside their window, new clients are refused until windows expire.
type limiter struct {
	rate       Rate
	clock      clock.PassiveClock
	maxClients int

	mu        sync.Mutex
	clients   map[string]*window
	lastSweep time.Time
}

type window struct {
	reset time.Time
	count int64
}

// decision is the limiter's answer for one request.
type decision struct {
	allowed   bool
	remaining int64
	reset     time.Time
}

func newLimiter(rate Rate, maxClients int, clk clock.PassiveClock) *limiter {
	return &limiter{rate: rate, clock: clk, maxClients: maxClients, clients: map[string]*window{}}
}

// allow counts one request from client and says whether it is within the budget.
func (l *limiter) allow(client string) decision {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.clients[client]
	if !ok || !now.Before(w.reset) {
		if !ok && len(l.clients) >= l.maxClients && !l.sweep(now) {
			return decision{reset: now.Add(time.Second)}
		}
		w = &window{reset: now.Add(l.rate.Period)}
		l.clients[client] = w
	}
	if w.count >= l.rate.Limit {
		return decision{reset: w.reset}
	}
	w.count++
	return decision{allowed: true, remaining: l.rate.Limit - w.count, reset: w.reset}
}

// spent reports whether client's window is open and used up, without counting a
// request, and when it ends.
func (l *limiter) spent(client string) (bool, time.Time) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.clients[client]
	if !ok || !now.Before(w.reset) {
		return false, time.Time{}
	}
	return w.count >= l.rate.Limit, w.reset
}

// sweep drops expired windows, at most once a second, and reports whether there
// is room for another client.
func (l *limiter) sweep(now time.Time) bool {
	if now.Sub(l.lastSweep) >= time.Second {
		l.lastSweep = now
		for k, w := range l.clients {
			if !now.Before(w.reset) {
				delete(l.clients, k)
			}
		}
	}
	return len(l.clients) < l.maxClients
}
