package clusterchecks

import (
	"errors"
	"time"

	"k8s.io/utils/clock"
)

// Config configures the task. Start from DefaultConfig.
type Config struct {
	// Namespace is the control plane's namespace: the sources are read there and
	// ConfigMapName is written there. Required.
	Namespace string
	// Resync is the period of full passes without a change. Default 5m.
	Resync time.Duration
	// MinInterval is the least time between two passes: the changes within it
	// are handled by one pass. Default 1s.
	MinInterval time.Duration
	// Clock is the time source. Default the real clock.
	Clock clock.Clock
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{Resync: 5 * time.Minute, MinInterval: time.Second, Clock: clock.RealClock{}}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	switch {
	case c.Namespace == "":
		return errors.New("clusterchecks: the namespace is required")
	case c.Resync <= 0 || c.MinInterval < 0:
		return errors.New("clusterchecks: Resync must be positive and MinInterval not negative")
	case c.Clock == nil:
		return errors.New("clusterchecks: Clock must be set (start from DefaultConfig)")
	}
	return nil
}
