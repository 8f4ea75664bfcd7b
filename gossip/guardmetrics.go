package gossip

import (
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"
)

// guardCollector exports what the member refused before trusting it: streams and
// packets refused before authentication, and metadata refused as invalid.
type guardCollector struct {
	m           *Mesh
	refused     *prometheus.Desc
	invalid     *prometheus.Desc
	unsupported *prometheus.Desc
}

func newGuardCollector(m *Mesh) *guardCollector {
	return &guardCollector{
		m: m,
		refused: prometheus.NewDesc("meshprobe_gossip_refused_total",
			"Gossip TCP streams and UDP packets refused before authentication, by kind (stream, packet) and reason.",
			[]string{"kind", "reason"}, nil),
		invalid: prometheus.NewDesc("meshprobe_gossip_invalid_metadata_total",
			"Member metadata announcements refused as invalid (bad UTF-8, names or label values Kubernetes would not accept, over-long fields); the member is ignored until it announces valid metadata.",
			nil, nil),
		unsupported: prometheus.NewDesc("meshprobe_gossip_unsupported_version_total",
			"Member metadata, echo packets and digests refused because their format version is one this member cannot read (a later major version, or garbage), by format (meta, echo, digest).",
			[]string{"format"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *guardCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.refused
	ch <- c.invalid
	ch <- c.unsupported
}

// Collect implements prometheus.Collector.
func (c *guardCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.m.refused()
	for kind, reasons := range map[string][]string{"stream": streamReasons, "packet": packetReasons} {
		for _, r := range reasons {
			ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(counts[r]), kind, r)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.invalid, prometheus.CounterValue, float64(c.m.invalidMeta.Load()))
	for _, f := range versionFormats {
		ch <- prometheus.MustNewConstMetric(c.unsupported, prometheus.CounterValue, float64(c.m.versions.count(f)), f)
	}
}

// refuseEcho counts and logs an echo packet of a version this member cannot read.
func (m *Mesh) refuseEcho(err error, from netip.AddrPort) {
	m.versions.refuse(FormatEcho, err, "peer", from.String())
}

// refused returns the transport's refusals per reason, nil before gossiping.
func (m *Mesh) refused() map[string]uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.transport == nil {
		return nil
	}
	return m.transport.Refused()
}

// forget drops a live peer without recording a departure: its metadata became
// invalid, so it is ignored.
func (s *stats) forget(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.peers, name)
}
