package leader

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

func newLeaderGauge(reg prometheus.Registerer) (prometheus.Gauge, error) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "meshprobe_leader",
		Help: "1 while this control-plane replica holds the leader Lease and runs the leader-only tasks, else 0.",
	})
	if err := reg.Register(g); err != nil {
		return nil, fmt.Errorf("leader: registering metrics: %w", err)
	}
	return g, nil
}
