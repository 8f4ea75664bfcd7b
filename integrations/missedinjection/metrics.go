package missedinjection

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// collector exports meshprobe_webhook_missed_pods{namespace} from the last
// pass's snapshot: a series per namespace with injection enabled or with missed
// pods. Series of namespaces that are gone vanish with the next snapshot, and
// only the leader exports any (the snapshot is cleared when a term ends).
type collector struct {
	desc   *prometheus.Desc
	mu     sync.Mutex
	counts map[string]int
}

func newCollector(reg prometheus.Registerer) (*collector, error) {
	c := &collector{desc: prometheus.NewDesc("meshprobe_webhook_missed_pods",
		"Pods running without the meshprobe sidecar although injection selects them (created while the webhook was unreachable, or before injection was enabled), by namespace. Exported by the leader only.",
		[]string{"namespace"}, nil)}
	if reg != nil {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("missedinjection: registering metrics: %w", err)
		}
	}
	return c, nil
}

func (c *collector) set(counts map[string]int) {
	c.mu.Lock()
	c.counts = counts
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ns, n := range c.counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), ns)
	}
}
