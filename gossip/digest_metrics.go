package gossip

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a received digest is refused: the values of
// meshprobe_gossip_digests_refused_total's reason label.
const (
	// DigestRefusedSize: over MaxDigestBytes.
	DigestRefusedSize = "size"
	// DigestRefusedType: a user message that is not a digest.
	DigestRefusedType = "type"
	// DigestRefusedVersion: a digest version this member cannot read.
	DigestRefusedVersion = "version"
	// DigestRefusedMalformed: a digest that does not decode or validate.
	DigestRefusedMalformed = "malformed"
	// DigestRefusedSender: the digest's Member is not the live member at the
	// address the packet came from (or it came another way than one UDP packet).
	DigestRefusedSender = "sender"
	// DigestRefusedUnwanted: this member takes no digests (no OnDigest).
	DigestRefusedUnwanted = "unwanted"
)

// digestRefusedReasons lists every reason, in display order.
var digestRefusedReasons = [...]string{
	DigestRefusedSize, DigestRefusedType, DigestRefusedVersion,
	DigestRefusedMalformed, DigestRefusedSender, DigestRefusedUnwanted,
}

// digestLogEvery bounds how often refusals of one reason, and encoding
// failures, are logged: anyone holding the gossip key can send digests.
const digestLogEvery = time.Minute

// digestMetrics counts the digests a member sent, received and refused, and
// logs refusals at debug level at most once per digestLogEvery per reason. Safe
// for concurrent use; the zero value is ready.
type digestMetrics struct {
	sent, sentBytes, size   atomic.Uint64
	received, encodeFailure atomic.Uint64
	refused                 [len(digestRefusedReasons)]atomic.Uint64

	mu     sync.Mutex
	logged map[string]time.Time
}

// refusedCount returns the counter of reason.
func (d *digestMetrics) refusedCount(reason string) *atomic.Uint64 {
	return &d.refused[slices.Index(digestRefusedReasons[:], reason)]
}

// due reports whether a line about key may be logged now, and notes it.
func (d *digestMetrics) due(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.logged == nil {
		d.logged = map[string]time.Time{}
	}
	now := time.Now()
	if now.Sub(d.logged[key]) < digestLogEvery {
		return false
	}
	d.logged[key] = now
	return true
}

// refuse counts a refused digest and logs it unless one was logged lately.
func (d *digestMetrics) refuse(log *slog.Logger, reason string, err error, attrs ...any) {
	n := d.refusedCount(reason).Add(1)
	if d.due(reason) {
		log.Debug("gossip: refused a digest (logged at most once a minute per reason)",
			append(attrs, "reason", reason, "err", err, "refusedTotal", n)...)
	}
}

// encodeFailed counts and logs (at most once a minute) a digest of this member
// that does not encode.
func (d *digestMetrics) encodeFailed(log *slog.Logger, err error) {
	d.encodeFailure.Add(1)
	if d.due("encode") {
		log.Warn("gossip: this member's digest does not encode; not sent", "err", err)
	}
}

// digestCollector exports digestMetrics.
type digestCollector struct {
	d                                             *digestMetrics
	sent, sentBytes, received, refused, size, enc *prometheus.Desc
}

func newDigestCollector(d *digestMetrics) *digestCollector {
	return &digestCollector{
		d: d,
		sent: prometheus.NewDesc("meshprobe_gossip_digests_sent_total",
			"Digests this member sent, one per control-plane member per interval.", nil, nil),
		sentBytes: prometheus.NewDesc("meshprobe_gossip_digests_sent_bytes_total",
			"Bytes of the digests this member sent (encoded digests, before memberlist's headers and encryption).", nil, nil),
		size: prometheus.NewDesc("meshprobe_gossip_digest_bytes",
			"Size of this member's latest encoded digest, at most 1200.", nil, nil),
		enc: prometheus.NewDesc("meshprobe_gossip_digest_encode_failures_total",
			"Digests of this member that did not encode (invalid), so were not sent.", nil, nil),
		received: prometheus.NewDesc("meshprobe_gossip_digests_received_total",
			"Valid digests this member received and handed to its receiver (control plane).", nil, nil),
		refused: prometheus.NewDesc("meshprobe_gossip_digests_refused_total",
			"Digests this member refused, by reason (size, type, version, malformed, sender, unwanted).", []string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *digestCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sent, c.sentBytes, c.size, c.enc, c.received, c.refused} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *digestCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.d
	ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(d.sent.Load()))
	ch <- prometheus.MustNewConstMetric(c.sentBytes, prometheus.CounterValue, float64(d.sentBytes.Load()))
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(d.size.Load()))
	ch <- prometheus.MustNewConstMetric(c.enc, prometheus.CounterValue, float64(d.encodeFailure.Load()))
	ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(d.received.Load()))
	for _, r := range digestRefusedReasons {
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(d.refusedCount(r).Load()), r)
	}
}
