// Package snapshotgauge is a Prometheus collector that exports one gauge, by
// one label, from the last snapshot a task set: series of label values that
// are gone vanish with the next snapshot, with no bookkeeping. Leader-only
// tasks set nil when their term ends, so that only the leader exports them.
package snapshotgauge

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Gauge is the collector. It is safe for concurrent use.
type Gauge struct {
	desc   *prometheus.Desc
	mu     sync.Mutex
	values map[string]int
}

// New returns the gauge name{label}, registered with reg unless reg is nil.
func New(reg prometheus.Registerer, name, help, label string) (*Gauge, error) {
	g := &Gauge{desc: prometheus.NewDesc(name, help, []string{label}, nil)}
	if reg != nil {
		if err := reg.Register(g); err != nil {
			return nil, fmt.Errorf("registering %s: %w", name, err)
		}
	}
	return g, nil
}

// Set replaces the snapshot: one series per key. nil exports nothing.
func (g *Gauge) Set(values map[string]int) {
	g.mu.Lock()
	g.values = values
	g.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (g *Gauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *Gauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, v := range g.values {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(v), k)
	}
}
