package controlplane

import (
	"github.com/meshprobe/meshprobe/integrations/thousandeyes"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// teConfig is the ThousandEyes sync's configuration: meshprobe's namespace is
// opted in and names the install, and every write needs this replica to hold
// the leader Lease. It fixes --leader-id (when unset) so that the elector's
// identity and the one checked in the Lease are the same.
func teConfig(o *options) thousandeyes.Config {
	if o.cp.leaderID == "" {
		o.cp.leaderID = defaultIdentity()
	}
	cfg := o.cp.te
	cfg.HomeNamespace = o.namespace
	cfg.Lease = &thousandeyes.LeaseRef{Namespace: o.namespace, Name: contract.LeaseName, Identity: o.cp.leaderID}
	return cfg
}
