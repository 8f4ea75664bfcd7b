package clusterchecks

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. Only the leader exports them: the snapshot is cleared when a
// term ends.
const (
	sourcesName = "meshprobe_cluster_checks_sources"
	sourcesHelp = "Sources of cluster checks (data keys of ConfigMaps labelled " + LabelSource + "=" + LabelSourceValue +
		") by state after the last pass: valid (delivered), invalid, duplicate (a check name an earlier source delivers), over_budget. Exported by the leader only."
	checksName = "meshprobe_cluster_checks"
	checksHelp = "Checks in the ConfigMap " + ConfigMapName + " after the last pass. Exported by the leader only."
	bytesName  = "meshprobe_cluster_checks_bytes"
	bytesHelp  = "Size of " + Key + " in the ConfigMap " + ConfigMapName + " after the last pass; sources that would take it over the checks annotation's limit (256 KiB) are skipped. Exported by the leader only."
)

// metrics is the task's collector: const metrics from the last pass's
// snapshot, with every state present.
type metrics struct {
	sources, checks, bytes *prometheus.Desc

	mu   sync.Mutex
	snap *snapshot // nil: not leading, nothing exported
}

type snapshot struct {
	states map[State]int
	checks int
	bytes  int
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sources: prometheus.NewDesc(sourcesName, sourcesHelp, []string{"state"}, nil),
		checks:  prometheus.NewDesc(checksName, checksHelp, nil, nil),
		bytes:   prometheus.NewDesc(bytesName, bytesHelp, nil, nil),
	}
	if reg != nil {
		if err := reg.Register(m); err != nil {
			return nil, fmt.Errorf("clusterchecks: registering metrics: %w", err)
		}
	}
	return m, nil
}

// set replaces the snapshot with agg's figures; nil exports nothing.
func (m *metrics) set(agg *Aggregate) {
	var s *snapshot
	if agg != nil {
		s = &snapshot{states: agg.Counts(), checks: len(agg.Checks), bytes: len(agg.Data)}
	}
	m.mu.Lock()
	m.snap = s
	m.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.sources
	ch <- m.checks
	ch <- m.bytes
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	s := m.snap
	m.mu.Unlock()
	if s == nil {
		return
	}
	for _, st := range States() {
		ch <- prometheus.MustNewConstMetric(m.sources, prometheus.GaugeValue, float64(s.states[st]), string(st))
	}
	ch <- prometheus.MustNewConstMetric(m.checks, prometheus.GaugeValue, float64(s.checks))
	ch <- prometheus.MustNewConstMetric(m.bytes, prometheus.GaugeValue, float64(s.bytes))
}
