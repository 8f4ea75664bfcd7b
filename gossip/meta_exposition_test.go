package gossip

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// newExpositionMesh returns a member, not gossiping, whose registry holds its
// metrics, for checking what a peer's metadata does to a scrape.
func newExpositionMesh(tb testing.TB) (*Mesh, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	cfg := testConfig(tb, "ns/me/00000000", "/nonexistent")
	cfg.Registerer = reg
	m, err := New(cfg)
	require.NoError(tb, err)
	return m, reg
}

// requireValidExposition makes meta a live peer's metadata, with an RTT sample
// and a failed probe, and requires a scrape that gathers without error and whose
// text exposition parses back.
func requireValidExposition(t *testing.T, m *Mesh, reg *prometheus.Registry, meta Meta) {
	t.Helper()
	const peer = "fuzz/peer/00000001"
	m.stats.upsert(peer, netip.MustParseAddrPort("10.0.0.9:7946"), meta)
	defer m.stats.forget(peer)
	m.stats.observe(peer, ProbeEcho, time.Millisecond, time.Now())
	m.stats.fail(peer)
	mfs, err := reg.Gather()
	require.NoError(t, err, "metadata %+v", meta)
	var buf bytes.Buffer
	for _, mf := range mfs {
		require.NoError(t, expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain)).Encode(mf))
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	_, err = parser.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err, "%s", buf.String())
}

func TestInvalidMetadataMemberIgnored(t *testing.T) {
	m, reg := newExpositionMesh(t)
	ev := events{m}
	good, err := Meta{Pod: "web-1", Namespace: "shop"}.Encode(MetaMaxSize)
	require.NoError(t, err)
	node := memberlistNode("shop/web-1/00000001", good)
	ev.NotifyJoin(node)
	require.Len(t, m.Members(), 2, "itself and the valid peer")

	node.Meta = []byte("\x01\x01\x04W\xffb!") // invalid pod name and UTF-8
	ev.NotifyUpdate(node)
	require.Len(t, m.Members(), 1, "the peer is no longer listed")
	require.Equal(t, uint64(1), m.invalidMeta.Load())
	requireCounter(t, reg, "meshprobe_gossip_invalid_metadata_total", 1)

	node.Meta = good
	ev.NotifyUpdate(node)
	require.Len(t, m.Members(), 2, "valid metadata again: listed again")
}

func memberlistNode(name string, meta []byte) *memberlist.Node {
	return &memberlist.Node{Name: name, Addr: net.IPv4(10, 0, 0, 1), Port: 7946, Meta: meta}
}

// requireCounter requires an unlabelled counter's value.
func requireCounter(t *testing.T, reg *prometheus.Registry, name string, want float64) {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			require.Equal(t, want, mf.GetMetric()[0].GetCounter().GetValue())
			return
		}
	}
	t.Fatalf("no %s", name)
}
