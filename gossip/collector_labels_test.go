package gossip

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var peerAddr = netip.MustParseAddrPort("10.0.0.1:7946")

// addPeers upserts n peers spread over 40 namespaces, 100 apps, 50 nodes and 3
// zones (node i is in zone i%3), each with one echo sample.
func addPeers(m *Mesh, n int) {
	for i := range n {
		name := fmt.Sprintf("ns-%d/pod-%d/%08x", i%40, i, i)
		node := i % 50
		m.stats.upsert(name, peerAddr, Meta{
			Pod: fmt.Sprintf("pod-%d", i), Namespace: fmt.Sprintf("ns-%d", i%40), App: fmt.Sprintf("app-%d", i%100),
			Node: fmt.Sprintf("node-%d", node), Zone: fmt.Sprintf("zone-%d", node%3),
		})
		m.stats.observe(name, ProbeEcho, time.Millisecond, time.Now())
	}
}

// labelSets returns the distinct failure series' labels, as "name=value,..." strings.
func labelSets(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var out []string
	for _, mf := range mfs {
		if mf.GetName() != "meshprobe_gossip_probe_failures_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var kv []string
			for _, l := range m.GetLabel() {
				kv = append(kv, l.GetName()+"="+l.GetValue())
			}
			out = append(out, strings.Join(kv, ","))
		}
	}
	return out
}

func TestCollectorSeriesIndependentOfMeshSize(t *testing.T) {
	var counts []int
	for _, n := range []int{200, 1000} {
		m, reg := newTestMesh(t, func(c *Config) {
			c.Meta.Node, c.Meta.Zone = "node-0", "zone-0"
			c.PeerNamespaces = []string{"ns-1"}
		})
		addPeers(m, n)
		counts = append(counts, countSeries(t, reg, "meshprobe_gossip_rtt_seconds")+countSeries(t, reg, "meshprobe_gossip_probe_failures_total"))
		// peer_namespace: own (shop: none here), ns-1, _other; peer_zone: 3 zones;
		// same_node: true only on node-0 (zone-0).
		assert.ElementsMatch(t, []string{
			"peer_namespace=_other,peer_zone=zone-0,same_node=true,same_zone=true",
			"peer_namespace=_other,peer_zone=zone-0,same_node=false,same_zone=true",
			"peer_namespace=_other,peer_zone=zone-1,same_node=false,same_zone=false",
			"peer_namespace=_other,peer_zone=zone-2,same_node=false,same_zone=false",
			"peer_namespace=ns-1,peer_zone=zone-0,same_node=false,same_zone=true",
			"peer_namespace=ns-1,peer_zone=zone-1,same_node=false,same_zone=false",
			"peer_namespace=ns-1,peer_zone=zone-2,same_node=false,same_zone=false",
		}, labelSets(t, reg), "%d peers", n)
	}
	assert.Equal(t, counts[0], counts[1], "200 and 1000 peers give the same series")
	assert.Equal(t, 7*3, counts[0], "7 label sets x (2 probes + failures)")
}

func TestCollectorZoneUnknownAndOverflow(t *testing.T) {
	m, reg := newTestMesh(t, func(c *Config) { c.Meta.Zone = "" })
	m.stats.upsert("shop/a/1", peerAddr, Meta{Namespace: "shop", Node: "node-a"})
	m.stats.upsert("shop/b/2", peerAddr, Meta{Namespace: "shop", Node: "node-b"})
	for i := range MaxPeerZones + 2 {
		m.stats.upsert(fmt.Sprintf("shop/z%d/%d", i, i), peerAddr, Meta{Namespace: "shop", Node: "node-b", Zone: fmt.Sprintf("zone-%02d", i)})
	}
	sets := labelSets(t, reg)
	assert.Contains(t, sets, "peer_namespace=shop,peer_zone=_unknown,same_node=true,same_zone=true", "same node is same zone")
	assert.Contains(t, sets, "peer_namespace=shop,peer_zone=_unknown,same_node=false,same_zone=unknown")
	assert.Contains(t, sets, "peer_namespace=shop,peer_zone=_overflow,same_node=false,same_zone=unknown", "zones beyond the cap")
	assert.Len(t, sets, 2+MaxPeerZones+1)
}

func TestCollectorPeerLabelsCapped(t *testing.T) {
	m, reg := newTestMesh(t, func(c *Config) {
		c.PeerLabels = []string{PeerLabelPod, PeerLabelNode} // series order: peer_node, peer_pod
		c.PeerLabelLimit = 2
	})
	now := time.Now()
	for i := range 4 {
		m.stats.upsert(fmt.Sprintf("shop/p%d/%d", i, i), peerAddr, Meta{Pod: fmt.Sprintf("p%d", i), Namespace: "shop", Node: "node-b", Zone: "zone-1"})
	}
	const base = "peer_namespace=shop,peer_node=%s,peer_pod=%s,peer_zone=zone-1,same_node=false,same_zone=true"
	assert.ElementsMatch(t, []string{
		fmt.Sprintf(base, "node-b", "p0"), fmt.Sprintf(base, "node-b", "p1"), fmt.Sprintf(base, LabelOverflow, LabelOverflow),
	}, labelSets(t, reg), "two tuples, then the overflow")

	// p0 leaves: its place goes to the next peer that joins.
	m.stats.depart("shop/p0/0", now)
	m.stats.prune(now, time.Minute)
	m.stats.upsert("shop/p9/9", peerAddr, Meta{Pod: "p9", Namespace: "shop", Node: "node-b", Zone: "zone-1"})
	assert.ElementsMatch(t, []string{
		fmt.Sprintf(base, "node-b", "p1"), fmt.Sprintf(base, "node-b", "p9"), fmt.Sprintf(base, LabelOverflow, LabelOverflow),
	}, labelSets(t, reg))
}

func TestCollectorRelabelsWhenOwnZoneChanges(t *testing.T) {
	m, reg := newTestMesh(t, func(c *Config) { c.Meta.Zone = "" })
	m.stats.upsert("shop/a/1", peerAddr, Meta{Namespace: "shop", Node: "node-b", Zone: "zone-1"})
	assert.Equal(t, []string{"peer_namespace=shop,peer_zone=zone-1,same_node=false,same_zone=unknown"}, labelSets(t, reg))
	self := m.LocalMeta()
	self.Zone = "zone-1"
	m.UpdateMeta(self)
	assert.Equal(t, []string{"peer_namespace=shop,peer_zone=zone-1,same_node=false,same_zone=true"}, labelSets(t, reg))
}

func TestCleanValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"web-1.shop":             "web-1.shop",
		"eu_west-1a":             "eu_west-1a",
		"_other":                 LabelInvalid, // cannot pose as a fixed value
		"web-":                   LabelInvalid,
		"a\"b":                   LabelInvalid,
		"a\nb":                   LabelInvalid,
		"pöd":                    LabelInvalid,
		"\xff":                   LabelInvalid,
		strings.Repeat("a", 253): strings.Repeat("a", 253),
		strings.Repeat("a", 254): LabelInvalid,
	} {
		assert.Equal(t, want, cleanValue(in), "%q", in)
	}
}

func TestConfigPeerLabels(t *testing.T) {
	for _, tt := range []struct {
		name string
		tune func(*Config)
		err  string
	}{
		{"defaults", func(*Config) {}, ""},
		{"all detail", func(c *Config) { c.PeerLabels = []string{PeerLabelApp, PeerLabelNode, PeerLabelPod} }, ""},
		{"unknown detail", func(c *Config) { c.PeerLabels = []string{"peer_ip"} }, `PeerLabels: "peer_ip" is not one of`},
		{"detail twice", func(c *Config) { c.PeerLabels = []string{PeerLabelApp, PeerLabelApp} }, "listed twice"},
		{"no limit", func(c *Config) { c.PeerLabels, c.PeerLabelLimit = []string{PeerLabelApp}, 0 }, "PeerLabelLimit must be positive"},
		{"bad namespace", func(c *Config) { c.PeerNamespaces = []string{"Shop"} }, `"Shop" is not a namespace name`},
		{"too many namespaces", func(c *Config) { c.PeerNamespaces = make([]string, MaxPeerNamespaces+1) }, "at most 16"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, "ns/me/0", "/nonexistent")
			tt.tune(&cfg)
			err := cfg.Validate()
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.err)
		})
	}
}

// FuzzCollectorMeta: whatever peers announce, a scrape succeeds and its text
// exposition parses back with the same number of series, in valid UTF-8.
func FuzzCollectorMeta(f *testing.F) {
	f.Add("shop", "web", "node-a", "zone-1", "web-1", "db")
	f.Add("", "", "", "", "", "")
	f.Add("shop\xff", "a\"b\\c\n", "node-a", "_overflow", strings.Repeat("p", 300), "_invalid")
	f.Fuzz(func(t *testing.T, ns, app, node, zone, pod, other string) {
		m, reg := newTestMesh(t, func(c *Config) { c.PeerLabels, c.PeerLabelLimit = peerLabelNames(), 2 })
		for i, meta := range []Meta{
			{Namespace: ns, App: app, Node: node, Zone: zone, Pod: pod},
			{Namespace: other, App: other, Node: other, Zone: other, Pod: other},
			{Namespace: ns, App: other, Node: node, Zone: other, Pod: app},
		} {
			name := fmt.Sprintf("peer-%d", i)
			m.stats.upsert(name, peerAddr, meta)
			m.stats.observe(name, ProbeEcho, time.Millisecond, time.Now())
			m.stats.fail(name)
		}
		mfs, err := reg.Gather()
		require.NoError(t, err)
		var buf bytes.Buffer
		want := 0
		for _, mf := range mfs {
			want += len(mf.GetMetric())
			require.NoError(t, expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain)).Encode(mf))
		}
		require.True(t, utf8.Valid(buf.Bytes()))
		parser := expfmt.NewTextParser(model.LegacyValidation)
		parsed, err := parser.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err, "%s", buf.String())
		got := 0
		for _, mf := range parsed {
			got += len(mf.GetMetric())
		}
		assert.Equal(t, want, got)
	})
}
