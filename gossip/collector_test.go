package gossip

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o600) }

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// histogramFor returns the RTT histogram of the series with this peer_app and probe.
func histogramFor(t testing.TB, r *running, app, probe string) *dto.Histogram {
	t.Helper()
	mfs, err := r.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "meshprobe_gossip_rtt_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelValue(m, "peer_app") == app && labelValue(m, "probe") == probe {
				return m.GetHistogram()
			}
		}
	}
	return nil
}

func sampleCount(t testing.TB, r *running, app, probe string) uint64 {
	return histogramFor(t, r, app, probe).GetSampleCount()
}

// bucketCount returns the cumulative count of the bucket with this upper bound.
func bucketCount(h *dto.Histogram, le float64) uint64 {
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	return 0
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func newTestMesh(t testing.TB, tune func(*Config)) (*Mesh, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg := testConfig(t, "shop/me/00000000", "/nonexistent")
	cfg.Meta.Namespace, cfg.Meta.Node, cfg.Meta.Zone = "shop", "node-a", "zone-1"
	cfg.Registerer = reg
	if tune != nil {
		tune(&cfg)
	}
	m, err := New(cfg)
	require.NoError(t, err)
	return m, reg
}

const failuresHeader = `
# HELP meshprobe_gossip_probe_failures_total Echo probes to gossip peers that got no authenticated answer within the timeout, by bounded peer group.
# TYPE meshprobe_gossip_probe_failures_total counter
`

func TestCollectorDepartedPeersVanish(t *testing.T) {
	m, reg := newTestMesh(t, nil)
	now := time.Now()
	addr := netip.MustParseAddrPort("10.0.0.1:7946")
	m.stats.upsert("shop/web-1/00000001", addr, Meta{Pod: "web-1", Namespace: "shop", Node: "node-a", Zone: "zone-1", App: "web"})
	m.stats.upsert("shop/web-2/00000002", addr, Meta{Pod: "web-2", Namespace: "shop", Node: "node-b", Zone: "zone-1", App: "web"})
	m.stats.upsert("shop/db-0/00000003", addr, Meta{Pod: "db-0", Namespace: "shop", Node: "node-c", Zone: "zone-2", App: "db"})
	m.stats.observe("shop/web-1/00000001", ProbeEcho, 80*time.Microsecond, now)
	m.stats.observe("shop/web-2/00000002", ProbeEcho, 300*time.Microsecond, now)
	m.stats.observe("shop/web-2/00000002", ProbeSWIM, 2*time.Millisecond, now)
	m.stats.observe("shop/db-0/00000003", ProbeEcho, 400*time.Microsecond, now)
	m.stats.fail("shop/db-0/00000003")
	m.stats.observe("ns/unknown/0", ProbeEcho, time.Millisecond, now) // not a member: dropped

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(failuresHeader+`
meshprobe_gossip_probe_failures_total{peer_namespace="shop",peer_zone="zone-1",same_node="false",same_zone="true"} 0
meshprobe_gossip_probe_failures_total{peer_namespace="shop",peer_zone="zone-1",same_node="true",same_zone="true"} 0
meshprobe_gossip_probe_failures_total{peer_namespace="shop",peer_zone="zone-2",same_node="false",same_zone="false"} 1
`), "meshprobe_gossip_probe_failures_total"))
	// db-0 failed its latest probe: suspect from here. Not gossiping yet: no self.
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(membersText(2, 1, 0, 0)), "meshprobe_gossip_members"))
	assert.Equal(t, 3*2, countSeries(t, reg, "meshprobe_gossip_rtt_seconds"), "3 label sets x 2 probes, pre-initialised")

	// db-0 dies, web-2 leaves (after announcing it): their label sets vanish.
	m.stats.depart("shop/db-0/00000003", now)
	m.stats.upsert("shop/web-2/00000002", addr, Meta{Pod: "web-2", Namespace: "shop", Node: "node-b", Zone: "zone-1", App: "web", Leaving: true})
	m.stats.depart("shop/web-2/00000002", now)
	assert.Equal(t, 1*2, countSeries(t, reg, "meshprobe_gossip_rtt_seconds"))
	assert.Equal(t, 1, countSeries(t, reg, "meshprobe_gossip_probe_failures_total"))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(membersText(1, 0, 1, 1)), "meshprobe_gossip_members"))

	// After the retention they are no longer counted; a returning label set starts at zero.
	m.stats.prune(now.Add(time.Hour), time.Minute)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(membersText(1, 0, 0, 0)), "meshprobe_gossip_members"))
	m.stats.upsert("shop/db-1/00000004", addr, Meta{Pod: "db-1", Namespace: "shop", Node: "node-c", Zone: "zone-2", App: "db"})
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(failuresHeader+`
meshprobe_gossip_probe_failures_total{peer_namespace="shop",peer_zone="zone-1",same_node="true",same_zone="true"} 0
meshprobe_gossip_probe_failures_total{peer_namespace="shop",peer_zone="zone-2",same_node="false",same_zone="false"} 0
`), "meshprobe_gossip_probe_failures_total"))
}

func TestCollectorHistogramBuckets(t *testing.T) {
	m, reg := newTestMesh(t, func(c *Config) { c.PeerLabels = []string{PeerLabelPod} })
	now := time.Now()
	m.stats.upsert("shop/web-1/00000001", netip.MustParseAddrPort("10.0.0.1:7946"), Meta{Pod: "web-1", Namespace: "shop", Node: "node-b", App: "web"})
	for _, d := range []time.Duration{40 * time.Microsecond, 50 * time.Microsecond, 700 * time.Microsecond, 2 * time.Second} {
		m.stats.observe("shop/web-1/00000001", ProbeEcho, d, now)
	}
	h := gatherHistogram(t, reg, "echo")
	require.NotNil(t, h)
	assert.Equal(t, uint64(4), h.GetSampleCount())
	assert.InDelta(t, 2.00079, h.GetSampleSum(), 1e-9)
	assert.Equal(t, uint64(2), bucketCount(h, 0.00005), "50 µs is inclusive")
	assert.Equal(t, uint64(3), bucketCount(h, 0.001))
	assert.Equal(t, uint64(3), bucketCount(h, 1), "2 s only counts in +Inf")
	assert.Len(t, h.GetBucket(), len(RTTBuckets))
}

func gatherHistogram(t *testing.T, reg *prometheus.Registry, probe string) *dto.Histogram {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "meshprobe_gossip_rtt_seconds" && labelValue(m, "probe") == probe {
				require.Equal(t, "web-1", labelValue(m, "peer_pod"), "per-pod labels when enabled")
				return m.GetHistogram()
			}
		}
	}
	return nil
}

func membersText(alive, suspect, dead, left int) string {
	return fmt.Sprintf(`
# HELP meshprobe_gossip_members Gossip members as this member sees them, by state (alive includes this member; suspect: live but its latest echo probes from here failed; dead and left: gone within the retention window).
# TYPE meshprobe_gossip_members gauge
meshprobe_gossip_members{state="alive"} %d
meshprobe_gossip_members{state="dead"} %d
meshprobe_gossip_members{state="left"} %d
meshprobe_gossip_members{state="suspect"} %d
`, alive, dead, left, suspect)
}

func countSeries(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	n, err := testutil.GatherAndCount(reg, name)
	require.NoError(t, err)
	return n
}
