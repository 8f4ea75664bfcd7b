package heartbeat

import (
	"errors"
	"net/netip"
	"time"

	"k8s.io/utils/clock"
)

// Environment variables the heartbeat API reads, as k8s-heartbeat names them.
const (
	// EnvAuthToken holds the token that clients send as ?token= or in an
	// Authorization Basic or Bearer header.
	EnvAuthToken = "AUTH_TOKEN_BASIC"
	// EnvRateLimit holds the per-client-IP budget in the "3600-H" format, "off",
	// or a plain number of requests per EnvRatePeriod.
	EnvRateLimit = "RATE_LIMIT"
	// EnvRatePeriod holds the period of a plain-number EnvRateLimit: S, M, H, D or
	// a duration such as "1h" (the default).
	EnvRatePeriod = "RATE_LIMIT_PERIOD"
)

// DefaultAddr is the heartbeat API's listen address.
const DefaultAddr = ":8082"

// Config configures the heartbeat server.
type Config struct {
	// Addr is the listen address. Default ":8082".
	Addr string
	// Token is the AUTH_TOKEN_BASIC token. Required unless InsecureNoAuth is set.
	Token string
	// InsecureNoAuth serves the API without a token. For local trials only.
	InsecureNoAuth bool
	// RateLimit is each client IP's request budget; the zero Rate is unlimited.
	// Default 3600 per hour, as k8s-heartbeat documents.
	RateLimit Rate
	// FailedAuthRateLimit is each client IP's budget of requests that do not
	// authenticate (no token, a wrong one, a bad method or path): a separate, small
	// bucket, so that a client guessing tokens is throttled without spending
	// RateLimit. Once it is spent every heartbeat request of that client gets 429
	// until the window ends, a correct token too (else the answer would tell a
	// right guess from a wrong one). Default 10 per minute; the zero Rate is
	// unlimited.
	FailedAuthRateLimit Rate
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed:
	// when the TCP peer is in one of them, the client is the rightmost
	// X-Forwarded-For address that is not. From any other peer the header is
	// ignored. Default none.
	TrustedProxies []netip.Prefix
	// MaxClients bounds how many client IPs the rate limiter tracks at once;
	// when that many are inside their window, new clients get 429. Default 100000.
	MaxClients int
	// ShutdownTimeout bounds the wait for in-flight requests on shutdown. Default 5s.
	ShutdownTimeout time.Duration
	// Clock is the clock of the rate limiter. Default clock.RealClock{}.
	Clock clock.Clock
}

// DefaultConfig returns the defaults; the token must still be set.
func DefaultConfig() Config {
	return Config{
		Addr:                DefaultAddr,
		RateLimit:           Rate{Limit: 3600, Period: time.Hour},
		FailedAuthRateLimit: Rate{Limit: 10, Period: time.Minute},
		MaxClients:          100_000,
		ShutdownTimeout:     5 * time.Second,
		Clock:               clock.RealClock{},
	}
}

// LoadEnv sets Token from AUTH_TOKEN_BASIC and RateLimit from RATE_LIMIT and
// RATE_LIMIT_PERIOD (see ParseRateEnv) when they are set, using getenv
// (os.Getenv in production).
func (c *Config) LoadEnv(getenv func(string) string) error {
	if tok := getenv(EnvAuthToken); tok != "" {
		c.Token = tok
	}
	if limit, period := getenv(EnvRateLimit), getenv(EnvRatePeriod); limit != "" || period != "" {
		r, err := ParseRateEnv(limit, period)
		if err != nil {
			return err
		}
		c.RateLimit = r
	}
	return nil
}

// validate refuses a configuration that would serve without protection by mistake.
func (c *Config) validate() error {
	switch {
	case c.Token == "" && !c.InsecureNoAuth:
		return errors.New("heartbeat: no token: set " + EnvAuthToken + " (or pass --insecure-no-auth to serve without one)")
	case c.Token != "" && c.InsecureNoAuth:
		return errors.New("heartbeat: both a token and --insecure-no-auth are given: choose one")
	case c.Addr == "":
		return errors.New("heartbeat: empty listen address")
	case !c.RateLimit.Unlimited() && (c.RateLimit.Limit < 0 || c.RateLimit.Period <= 0):
		return errors.New("heartbeat: invalid rate limit " + c.RateLimit.String())
	case !c.FailedAuthRateLimit.Unlimited() && (c.FailedAuthRateLimit.Limit < 0 || c.FailedAuthRateLimit.Period <= 0):
		return errors.New("heartbeat: invalid failed-authentication rate limit " + c.FailedAuthRateLimit.String())
	case c.MaxClients < 1 || c.ShutdownTimeout <= 0 || c.Clock == nil:
		return errors.New("heartbeat: MaxClients, ShutdownTimeout and Now must be set (start from DefaultConfig)")
	}
	return nil
}
