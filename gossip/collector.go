package gossip

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector emits the gossip metrics from a snapshot of the live membership at
// each scrape, so the series of departed peers vanish with them.
type collector struct {
	m        *Mesh
	rtt      *prometheus.Desc
	members  *prometheus.Desc
	failures *prometheus.Desc
}

func newCollector(m *Mesh) *collector {
	peerLabels := []string{"peer_namespace", "peer_app", "peer_node", "same_node"}
	if m.cfg.PeerPodLabels {
		peerLabels = append(peerLabels, "peer_pod")
	}
	return &collector{
		m: m,
		rtt: prometheus.NewDesc("meshprobe_gossip_rtt_seconds",
			"Round-trip time to gossip peers, by peer group and probe (echo: the active UDP echo prober; swim: memberlist's failure-detector probes).",
			append(append([]string{}, peerLabels...), "probe"), nil),
		members: prometheus.NewDesc("meshprobe_gossip_members",
			"Gossip members as this member sees them, by state (alive includes this member; suspect: live but its latest echo probes from here failed; dead and left: gone within the retention window).",
			[]string{"state"}, nil),
		failures: prometheus.NewDesc("meshprobe_gossip_probe_failures_total",
			"Echo probes to gossip peers that got no authenticated answer within the timeout, by peer group.",
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
		ch <- prometheus.MustNewConstMetric(c.members, prometheus.GaugeValue, float64(counts[st]), st)
	}
	for _, s := range c.m.stats.seriesSnapshot() {
		lv := []string{s.labels.namespace, s.labels.app, s.labels.node, s.labels.sameNode}
		if c.m.cfg.PeerPodLabels {
			lv = append(lv, s.labels.pod)
		}
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(s.failures), lv...)
		for _, h := range []struct {
			probe string
			h     histogram
		}{{ProbeEcho, s.echo}, {ProbeSWIM, s.swim}} {
			ch <- prometheus.MustNewConstHistogram(c.rtt, h.h.count, h.h.sum, h.h.cumulative(), append(lv, h.probe)...)
		}
	}
}
