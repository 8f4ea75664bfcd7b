package leader

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Config configures leader election.
type Config struct {
	// Namespace holds the Lease and the control-plane pods. Default contract.DefaultNamespace.
	Namespace string
	// LeaseName is the Lease's name. Default contract.LeaseName ("meshprobe-leader").
	LeaseName string
	// Identity names this candidate in the Lease; it must be unique among the
	// replicas. Usually the pod name. Required.
	Identity string
	// PodName is this replica's pod, which the leader labels. Empty disables pod
	// labelling (for example when running outside a cluster).
	PodName string
	// PodSelector selects the control-plane pods (the replicas of this Deployment)
	// whose role label the leader clears. Nil derives it from this pod's own labels,
	// leaving out the per-revision and per-pod ones (pod-template-hash and the like).
	PodSelector labels.Selector
	// LeaseDuration is how long followers wait after the last observed renewal
	// before they take the Lease over. Default 10s: a crashed leader is replaced
	// within about 12 s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps retrying a renewal before it
	// gives leadership up. Default 7s.
	RenewDeadline time.Duration
	// RetryPeriod is the interval between attempts to acquire or renew. Default 2s.
	RetryPeriod time.Duration
	// StopTimeout bounds how long the elector waits for tasks to return after
	// cancelling them; tasks still running then are abandoned. Default 10s.
	StopTimeout time.Duration
	// RelabelInterval is how often the leader re-checks the role labels. Default 1m.
	RelabelInterval time.Duration
	// EventRecorder, when set, records "became leader" and "stopped leading"
	// Events on the Lease.
	EventRecorder resourcelock.EventRecorder
}

// DefaultConfig returns the defaults. The lease is shorter than client-go's core
// components use (15s/10s/2s): leadership gates only the control plane's background
// work, never admission, so a faster takeover after a crash is worth stepping down
// after 7 s of API-server trouble. Identity (and PodName for labelling) must still be set.
func DefaultConfig() Config {
	return Config{
		Namespace:       contract.DefaultNamespace,
		LeaseName:       contract.LeaseName,
		LeaseDuration:   10 * time.Second,
		RenewDeadline:   7 * time.Second,
		RetryPeriod:     2 * time.Second,
		StopTimeout:     10 * time.Second,
		RelabelInterval: time.Minute,
	}
}

func (c *Config) validate() error {
	switch {
	case c.Namespace == "" || c.LeaseName == "":
		return errors.New("leader: namespace and lease name must be set")
	case c.Identity == "":
		return errors.New("leader: empty identity: set POD_NAME or --leader-id")
	case c.LeaseDuration <= c.RenewDeadline:
		return fmt.Errorf("leader: lease duration %s must be longer than renew deadline %s", c.LeaseDuration, c.RenewDeadline)
	case float64(c.RenewDeadline) <= 1.2*float64(c.RetryPeriod) || c.RetryPeriod <= 0:
		return fmt.Errorf("leader: renew deadline %s must be longer than 1.2 x retry period %s", c.RenewDeadline, c.RetryPeriod)
	case c.StopTimeout <= 0 || c.RelabelInterval <= 0:
		return errors.New("leader: StopTimeout and RelabelInterval must be positive (start from DefaultConfig)")
	}
	return nil
}
