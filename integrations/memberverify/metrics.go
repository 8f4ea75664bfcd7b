package memberverify

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/internal/snapshotgauge"
)

// newGauge registers meshprobe_mesh_impostor_members{reason}, set from each
// check's counts. Only the leader exports it: the counts are cleared when a
// term ends.
func newGauge(reg prometheus.Registerer) (*snapshotgauge.Gauge, error) {
	g, err := snapshotgauge.New(reg, "meshprobe_mesh_impostor_members",
		"Live gossip members whose claimed pod does not check out against the control plane's pod cache (name, namespace, UID, IP, owner), by reason; they are left out of heartbeat verdicts and the key-rotation gate. Exported by the leader only.",
		"reason")
	if err != nil {
		return nil, fmt.Errorf("memberverify: %w", err)
	}
	return g, nil
}
