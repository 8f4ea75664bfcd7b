package gossip

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector emits the gossip metrics from a snapshot of the live membership at
// each scrape, so the series of departed peers vanish with them. Label values
// are cleaned when a peer's label set is made (cleanValue), and a metric that
// still does not build is dropped, not panicked on: whatever members announce,
// a scrape gives a valid exposition.
type collector struct {
	m        *Mesh
	detail   []int
	rtt      *prometheus.Desc
	members  *prometheus.Desc
	failures *prometheus.Desc
}

func newCollector(m *Mesh) *collector {
	peerLabels := m.stats.labeler.names()
	return &collector{
		m:      m,
		detail: m.stats.labeler.detail,
		rtt: prometheus.NewDesc("meshprobe_gossip_rtt_seconds",
			"Round-trip time to gossip peers, by bounded peer group and probe (echo: the active UDP echo prober; swim: memberlist's failure-detector probes).",
			append(peerLabels, "probe"), nil),
		members: prometheus.NewDesc("meshprobe_gossip_members",
			"Gossip members as this member sees them, by state (alive includes this member; suspect: live but its latest echo probes from here failed; dead and left: gone within the retention window).",
			[]string{"state"}, nil),
		failures: prometheus.NewDesc("meshprobe_gossip_probe_failures_total",
			"Echo probes to gossip peers that got no authenticated answer within the timeout, by bounded peer group.",
			peerLabels, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.rtt
	ch <- c.members
	ch <- c.failures
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.m.stats.prune(time.Now(), c.m.cfg.DepartedRetention)
	counts := c.m.stats.counts()
	if c.m.Status().State == StatusRunning {
		counts[StateAlive]++ // this member
	}
	for _, st := range States {
		send(ch)(prometheus.NewConstMetric(c.members, prometheus.GaugeValue, float64(counts[st]), st))
	}
	for _, s := range c.m.stats.seriesSnapshot() {
		lv := s.labels.values(c.detail)
		send(ch)(prometheus.NewConstMetric(c.failures, prometheus.CounterValue, float64(s.failures), lv...))
		for _, h := range []struct {
			probe string
			h     histogram
		}{{ProbeEcho, s.echo}, {ProbeSWIM, s.swim}} {
			send(ch)(prometheus.NewConstHistogram(c.rtt, h.h.count, h.h.sum, h.h.cumulative(), append(lv, h.probe)...))
		}
	}
}

// send returns a function that passes a built metric on and drops one that did
// not build.
func send(ch chan<- prometheus.Metric) func(prometheus.Metric, error) {
	return func(m prometheus.Metric, err error) {
		if err == nil {
			ch <- m
		}
	}
}
