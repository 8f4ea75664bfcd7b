package gossip

import "github.com/prometheus/client_golang/prometheus"

// coordCollector exports the Vivaldi coordinate's error estimate and the peer
// coordinates refused.
type coordCollector struct {
	c       *coordinates
	err     *prometheus.Desc
	refused *prometheus.Desc
}

func newCoordCollector(c *coordinates) *coordCollector {
	return &coordCollector{
		c: c,
		err: prometheus.NewDesc("meshprobe_gossip_coordinate_error",
			"Error estimate of this member's Vivaldi network coordinate (0 to 1.5, lower is better; 1.5 before any update).",
			nil, nil),
		refused: prometheus.NewDesc("meshprobe_gossip_coordinate_refused_total",
			"Peer coordinates in SWIM ack payloads refused, by reason (size, version, dimension, invalid, magnitude, capacity, update).",
			[]string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (cc *coordCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cc.err
	ch <- cc.refused
}

// Collect implements prometheus.Collector.
func (cc *coordCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(cc.err, prometheus.GaugeValue, cc.c.localError())
	for _, r := range coordRefusedReasons {
		ch <- prometheus.MustNewConstMetric(cc.refused, prometheus.CounterValue, float64(cc.c.refusedCount(r)), r)
	}
}
