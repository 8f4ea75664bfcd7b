package heartbeat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// k8s-heartbeat's defaults for its two-variable form (RATE_LIMIT, an int, default
// 3600; RATE_LIMIT_PERIOD, a Go duration, default 1h: cmd/k8s-heartbeat/main.go of
// github.com/mauri870/k8s-controller-heartbeat), and the longest period accepted,
// the combined form's largest unit.
const (
	defaultEnvLimit  = 3600
	defaultEnvPeriod = time.Hour
	maxRatePeriod    = 24 * time.Hour
)

// ParseRateEnv parses RATE_LIMIT together with RATE_LIMIT_PERIOD; an empty string
// means the variable is unset. RATE_LIMIT is either ParseRate's combined form
// ("3600-H", "off"), which names its own period and so must come without
// RATE_LIMIT_PERIOD, or a plain number of requests per RATE_LIMIT_PERIOD. The
// period is a unit code (S, M, H or D, in either case) or a Go duration from 1s to
// 24h ("1h", "90s"). As in k8s-heartbeat, a plain number without a period counts
// per hour, and a period without RATE_LIMIT applies to 3600 requests. "off" and
// "0" disable the limit whatever the period.
func ParseRateEnv(limit, period string) (Rate, error) {
	limit, period = strings.TrimSpace(limit), strings.TrimSpace(period)
	if isOff(limit) {
		return Rate{}, nil
	}
	n, plain := plainLimit(limit)
	switch {
	case !plain && period != "":
		return Rate{}, fmt.Errorf("heartbeat: %s %q with %s %q: give %s as a plain number (%s=3600 %s=H), or unset %s (%s=3600-H)",
			EnvRateLimit, truncateTo(limit, 24), EnvRatePeriod, truncateTo(period, 24),
			EnvRateLimit, EnvRateLimit, EnvRatePeriod, EnvRatePeriod, EnvRateLimit)
	case !plain:
		r, err := ParseRate(limit)
		if err != nil {
			return Rate{}, fmt.Errorf("%w (or a number of requests per %s)", err, EnvRatePeriod)
		}
		return r, nil
	case n < 1 || n > maxRateLimit:
		return Rate{}, fmt.Errorf("heartbeat: %s %s: want a whole number from 1 to %d, or off", EnvRateLimit, quote(limit), int64(maxRateLimit))
	}
	d, err := parsePeriod(period)
	if err != nil {
		return Rate{}, err
	}
	return Rate{Limit: n, Period: d}, nil
}

// isOff reports whether a RATE_LIMIT value disables the limit.
func isOff(s string) bool { return strings.EqualFold(s, "off") || s == "0" }

// plainLimit parses a RATE_LIMIT that is a plain number; empty means k8s-heartbeat's
// default, 3600.
func plainLimit(s string) (int64, bool) {
	if s == "" {
		return defaultEnvLimit, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parsePeriod parses RATE_LIMIT_PERIOD; empty means k8s-heartbeat's default, 1h.
func parsePeriod(s string) (time.Duration, error) {
	if s == "" {
		return defaultEnvPeriod, nil
	}
	if d, ok := rateUnits[strings.ToUpper(s)]; ok {
		return d, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second || d > maxRatePeriod {
		return 0, fmt.Errorf("heartbeat: %s %s: want S, M, H or D (per second, minute, hour, day), or a duration from 1s to 24h such as 1h",
			EnvRatePeriod, quote(s))
	}
	return d, nil
}
