package missedinjection

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/internal/snapshotgauge"
)

// The task's gauges, by namespace, set from each pass's snapshot: series of
// namespaces that are gone vanish with the next snapshot, and only the leader
// exports any (the snapshots are cleared when a term ends).
const (
	// missedPodsName has a series per namespace with injection enabled or with missed pods.
	missedPodsName = "meshprobe_webhook_missed_pods"
	missedPodsHelp = "Pods running without the meshprobe sidecar although injection selects them (created while the webhook was unreachable, or before injection was enabled), by namespace. Exported by the leader only."
	// suspendedName has a series per namespace with workloads the loop breaker suspended.
	suspendedName = "meshprobe_webhook_missed_repair_suspended"
	suspendedHelp = "Workloads the missed-injection repair stopped restarting because their new pods kept coming up without the sidecar (--repair-missed-max-restarts within --repair-missed-window), by namespace. Exported by the leader with --repair-missed=restart only."
)

// newGauge registers one of the task's gauges by namespace with reg.
func newGauge(reg prometheus.Registerer, name, help string) (*snapshotgauge.Gauge, error) {
	g, err := snapshotgauge.New(reg, name, help, "namespace")
	if err != nil {
		return nil, fmt.Errorf("missedinjection: %w", err)
	}
	return g, nil
}
