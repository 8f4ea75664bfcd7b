package missedinjection

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/internal/snapshotgauge"
)

// newGauge registers meshprobe_webhook_missed_pods{namespace}, set from the
// last pass's snapshot: a series per namespace with injection enabled or with
// missed pods. Series of namespaces that are gone vanish with the next
// snapshot, and only the leader exports any (the snapshot is cleared when a
// term ends).
func newGauge(reg prometheus.Registerer) (*snapshotgauge.Gauge, error) {
	g, err := snapshotgauge.New(reg, "meshprobe_webhook_missed_pods",
		"Pods running without the meshprobe sidecar although injection selects them (created while the webhook was unreachable, or before injection was enabled), by namespace. Exported by the leader only.",
		"namespace")
	if err != nil {
		return nil, fmt.Errorf("missedinjection: %w", err)
	}
	return g, nil
}
