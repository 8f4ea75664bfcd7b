package memberverify

import (
	"errors"
	"time"

	"k8s.io/utils/clock"
)

// Config configures the Reporter. Start from DefaultConfig.
type Config struct {
	// Namespace and PodName name the leader's own pod. An Event about a member
	// that claims a pod that does not exist is recorded there (one that claims an
	// existing pod gets its Event on that pod). Without PodName such members are
	// only logged and counted.
	Namespace, PodName string
	// Interval is how often the leader checks the mesh. Default 5s.
	Interval time.Duration
	// Grace is how long a member must fail the check before it is reported (a
	// new pod's sidecar may gossip a moment before the informer has its IP). It
	// is left out of verdicts and the rotation gate at once. Default 15s.
	Grace time.Duration
	// EventBurst and EventInterval bound the Events (and their log lines): at
	// most EventBurst at once, then one per EventInterval, so that a member
	// joining under ever new names cannot flood the API server. An impostor
	// over the limit is reported when the budget allows. Defaults 10 and 30s.
	EventBurst    int
	EventInterval time.Duration
	// Clock is the time source. Default the real clock.
	Clock clock.WithTicker
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{Interval: 5 * time.Second, Grace: 15 * time.Second,
		EventBurst: 10, EventInterval: 30 * time.Second, Clock: clock.RealClock{}}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	switch {
	case c.Interval <= 0 || c.Grace < 0 || c.EventInterval <= 0:
		return errors.New("memberverify: Interval and EventInterval must be positive, Grace not negative")
	case c.EventBurst < 1:
		return errors.New("memberverify: EventBurst must be at least 1")
	case c.Clock == nil:
		return errors.New("memberverify: Clock must be set (start from DefaultConfig)")
	}
	return nil
}
