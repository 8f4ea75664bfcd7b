package thousandeyes

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LeaseRef names the leader Lease and this replica's identity in it.
type LeaseRef struct {
	Namespace, Name, Identity string
}

// ErrLeaseLost refuses a write: this replica no longer holds the Lease.
var ErrLeaseLost = errors.New("thousandeyes: this replica no longer holds the leader Lease")

// leaseTimeout bounds the read of the Lease before a write.
const leaseTimeout = 5 * time.Second

// guard is asked right before each ThousandEyes write: it refuses once ctx (the
// leadership term) has ended, or when the Lease, read fresh from the apiserver,
// names another holder or has not been renewed within its duration. A
// leader that cannot read the Lease does not write either.
func (c *Controller) guard(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ref := c.cfg.Lease
	if ref == nil {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, leaseTimeout)
	defer cancel()
	lease, err := c.kube.CoordinationV1().Leases(ref.Namespace).Get(lctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("%w: reading Lease %s/%s: %w", ErrLeaseLost, ref.Namespace, ref.Name, err)
	}
	spec := lease.Spec
	if spec.HolderIdentity == nil || *spec.HolderIdentity != ref.Identity {
		return fmt.Errorf("%w: held by %q", ErrLeaseLost, deref(spec.HolderIdentity))
	}
	if spec.RenewTime == nil || spec.LeaseDurationSeconds == nil {
		return fmt.Errorf("%w: Lease has no renew time or duration", ErrLeaseLost)
	}
	// The holder (this replica) wrote RenewTime with its own clock, so it
	// compares with time.Now without skew.
	expires := spec.RenewTime.Add(time.Duration(*spec.LeaseDurationSeconds) * time.Second)
	if !time.Now().Before(expires) {
		return fmt.Errorf("%w: not renewed since %s", ErrLeaseLost, spec.RenewTime.UTC().Format(time.RFC3339))
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
