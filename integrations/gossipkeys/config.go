package gossipkeys

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Config configures the task. Start from DefaultConfig.
type Config struct {
	// Namespace is the control plane's namespace, which holds the source Secret
	// and never gets a copy. Default contract.DefaultNamespace.
	Namespace string
	// RotateEvery rotates the key when the primary has been primary this long.
	// Zero disables scheduled rotation (on-demand rotation still works). Default 720h.
	RotateEvery time.Duration
	// PollInterval is how often a rotation in progress re-checks the mesh. Default 2s.
	PollInterval time.Duration
	// Resync is the period of full passes without a change, which also check the
	// schedule. Default 1m.
	Resync time.Duration
	// ReportEvery is how long a rotation waits before it says, in an Event, which
	// members hold it up, and how often it repeats that. Default 5m.
	ReportEvery time.Duration
	// StepTimeout bounds how long one rotation step (adding, promoting) waits for
	// members that do not take it, counted from the phase-since annotation, so a
	// new leader keeps the same deadline. Then the step proceeds without them,
	// with a Warning Event naming them: a member that never announces the new key
	// cannot stall rotation forever. The wait for the copies and for the
	// leader's own gossip member has no bound. Keep it well above the kubelet's
	// Secret sync delay (a minute or two). Default 15m; must be positive.
	StepTimeout time.Duration
	// ExcludedNamespaces never get a copy, whatever their labels. Default
	// kube-system, kube-public and kube-node-lease (Namespace is always excluded).
	ExcludedNamespaces []string
	// Clock is the time source. Default the real clock.
	Clock clock.Clock
	// Rand is the source of new keys. Default crypto/rand.
	Rand io.Reader
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{
		Namespace:          contract.DefaultNamespace,
		RotateEvery:        720 * time.Hour,
		PollInterval:       2 * time.Second,
		Resync:             time.Minute,
		ReportEvery:        5 * time.Minute,
		StepTimeout:        15 * time.Minute,
		ExcludedNamespaces: []string{"kube-system", "kube-public", "kube-node-lease"},
		Clock:              clock.RealClock{},
		Rand:               rand.Reader,
	}
}

// RegisterFlags adds the --gossip-key-* flags, with c's values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.RotateEvery, "gossip-key-rotate-every", c.RotateEvery,
		"rotate the gossip key when the primary is this old; 0 disables scheduled rotation (annotate the Secret with "+contract.AnnotationRotateKey+" to rotate on demand)")
	fs.DurationVar(&c.PollInterval, "gossip-key-poll-interval", c.PollInterval,
		"how often a key rotation in progress checks whether every gossip member holds the new key")
	fs.DurationVar(&c.StepTimeout, "gossip-key-step-timeout", c.StepTimeout,
		"how long a key rotation step waits for gossip members that do not take the new key before it proceeds without them (with a Warning Event naming them)")
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	switch {
	case len(validation.IsDNS1123Label(c.Namespace)) > 0:
		return fmt.Errorf("gossipkeys: namespace %q is not a valid namespace name", c.Namespace)
	case c.RotateEvery < 0:
		return fmt.Errorf("gossipkeys: --gossip-key-rotate-every %s must not be negative", c.RotateEvery)
	case c.PollInterval <= 0 || c.Resync <= 0 || c.ReportEvery <= 0:
		return errors.New("gossipkeys: poll interval, resync and report period must be positive")
	case c.StepTimeout <= 0:
		return fmt.Errorf("gossipkeys: --gossip-key-step-timeout %s must be positive", c.StepTimeout)
	case c.Clock == nil || c.Rand == nil:
		return errors.New("gossipkeys: Clock and Rand must be set (start from DefaultConfig)")
	}
	return nil
}

// excluded reports whether ns never gets a copy.
func (c *Config) excluded(ns string) bool {
	return ns == c.Namespace || slices.Contains(c.ExcludedNamespaces, ns)
}
