package missedinjection

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"k8s.io/utils/clock"

	"github.com/meshprobe/meshprobe/webhook"
)

// Repair modes.
const (
	RepairOff     = "off"
	RepairRestart = "restart"
)

// Config configures the task. Start from DefaultConfig.
type Config struct {
	// Webhook is the injector's configuration: its decision (webhook.Select) says
	// which pods should have the sidecar. Required.
	Webhook *webhook.Config
	// Repair is RepairOff (report only, the default) or RepairRestart.
	Repair string
	// RepairInterval is the least time between two restarts, cluster-wide. Default 1m.
	RepairInterval time.Duration
	// RepairCooldown is the least time between two restarts of one workload; a
	// restart by kubectl counts too (the restartedAt annotation). Default 15m.
	RepairCooldown time.Duration
	// RepairMaxRestarts and RepairWindow are the loop breaker: a workload that
	// the repair restarted RepairMaxRestarts times within RepairWindow, each
	// time followed by new pods without the sidecar, is not restarted again
	// until none of its pods is missed. Defaults 3 and 1h. A window shorter than
	// RepairMaxRestarts+1 cooldowns is widened to that, or the breaker could
	// never trip (restarts are at least a cooldown apart).
	RepairMaxRestarts int
	RepairWindow      time.Duration
	// Resync is the period of full passes without a change. Default 5m.
	Resync time.Duration
	// MinInterval is the least time between two passes: the changes within it
	// are handled by one pass (a pass over 10,000 pods takes about 13 ms). Default 1s.
	MinInterval time.Duration
	// Clock is the time source. Default the real clock.
	Clock clock.Clock
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{
		Repair:            RepairOff,
		RepairInterval:    time.Minute,
		RepairCooldown:    15 * time.Minute,
		RepairMaxRestarts: 3,
		RepairWindow:      time.Hour,
		Resync:            5 * time.Minute,
		MinInterval:       time.Second,
		Clock:             clock.RealClock{},
	}
}

// RegisterFlags adds the --repair-missed* flags, with c's values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Repair, "repair-missed", c.Repair,
		"what to do about pods running without the sidecar although injection selects them: off (report them) or restart (rolling-restart their Deployment or StatefulSet)")
	fs.DurationVar(&c.RepairInterval, "repair-missed-interval", c.RepairInterval, "least time between two missed-injection restarts, cluster-wide")
	fs.DurationVar(&c.RepairCooldown, "repair-missed-cooldown", c.RepairCooldown, "least time between two missed-injection restarts of the same workload")
	fs.IntVar(&c.RepairMaxRestarts, "repair-missed-max-restarts", c.RepairMaxRestarts,
		"restarts of one workload within --repair-missed-window whose new pods still run without the sidecar, after which the repair stops restarting it until none of its pods is missed")
	fs.DurationVar(&c.RepairWindow, "repair-missed-window", c.RepairWindow, "the window of --repair-missed-max-restarts")
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	switch {
	case c.Webhook == nil:
		return errors.New("missedinjection: the webhook configuration is required")
	case c.Repair != RepairOff && c.Repair != RepairRestart:
		return fmt.Errorf("missedinjection: --repair-missed %q: want %s or %s", c.Repair, RepairOff, RepairRestart)
	case c.RepairInterval <= 0 || c.RepairCooldown <= 0 || c.Resync <= 0 || c.MinInterval < 0:
		return errors.New("missedinjection: --repair-missed-interval, --repair-missed-cooldown and resync must be positive")
	case c.RepairMaxRestarts < 1 || c.RepairWindow <= 0:
		return errors.New("missedinjection: --repair-missed-max-restarts must be at least 1 and --repair-missed-window positive")
	case c.Clock == nil:
		return errors.New("missedinjection: Clock must be set (start from DefaultConfig)")
	}
	return nil
}
