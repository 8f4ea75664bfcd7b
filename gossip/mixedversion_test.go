package gossip

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// v1Wire is the codec of the release before explicit wire versions, frozen in
// wirev1_test.go: a member with it announces exactly the v1-* golden bytes.
func v1Wire() *wireCodec {
	return &wireCodec{
		encodeMeta: func(m Meta, limit int) ([]byte, error) { return v1Meta(m).Encode(limit) },
		decodeMeta: func(b []byte) (Meta, error) {
			m, err := v1DecodeMeta(b)
			return Meta(m), err
		},
		isEcho:     v1IsEcho,
		appendEcho: v1AppendEcho,
		readEcho: func(b []byte, keys [][]byte) (echoPacket, []byte, error) {
			p, k, ok := v1ParseEcho(b, keys)
			if !ok {
				return p, nil, errEchoRefused
			}
			return p, k, nil
		},
	}
}

// laterMinorWire is a later release that added fields within version 1: new
// metadata tags, and fields in its echo packets.
func laterMinorWire() *wireCodec {
	w := currentWire()
	w.encodeMeta = func(m Meta, limit int) ([]byte, error) {
		b, err := m.Encode(limit - 16)
		if err != nil {
			return nil, err
		}
		return appendField(appendField(b, 14, "\x02\x07"), 0xc8, "later"), nil
	}
	w.appendEcho = func(_ []byte, p echoPacket, key []byte) []byte {
		return echoWithFields(key, p, []byte("later fields"))
	}
	return w
}

// laterMajorWire is a later release with major version 2 of both formats. It
// reads version 1 as well.
func laterMajorWire() *wireCodec {
	w := currentWire()
	w.encodeMeta = func(m Meta, limit int) ([]byte, error) {
		b, err := m.Encode(limit)
		if err == nil {
			b[0] = 2
		}
		return b, err
	}
	w.decodeMeta = func(b []byte) (Meta, error) {
		if len(b) > 0 && b[0] == 2 {
			b = append([]byte{metaVersion}, b[1:]...)
		}
		return DecodeMeta(b)
	}
	w.appendEcho = func(_ []byte, p echoPacket, key []byte) []byte { return futureEchoMajor(key, p) }
	return w
}

// mixedMember is one member of a mixed mesh: its release's codec and metadata.
type mixedMember struct {
	name string
	wire *wireCodec
	meta Meta
}

// startMixed starts the members sharing the golden key, each joining the
// first, and returns them with how long the mesh may take to settle: every
// member's push/pull with the seed and a few echo and SWIM cycles over all.
func startMixed(t *testing.T, members []mixedMember) ([]*running, time.Duration) {
	t.Helper()
	kf := keyDir(t)
	writeKeys(t, kf, goldenKey(t))
	var out []*running
	var settle time.Duration
	for i, mm := range members {
		cfg := testConfig(t, mm.name, kf)
		cfg.Meta, cfg.wire = mm.meta, mm.wire
		if i > 0 {
			cfg.Join = []string{out[0].Addr().String()}
		}
		settle = 3*cfg.PushPullInterval + 10*time.Duration(len(members))*max(cfg.ProbeInterval, cfg.EchoInterval)
		r := startMesh(t, cfg)
		waitRunning(t, r)
		out = append(out, r)
	}
	return out, settle
}

func metaBytes(r *running) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return bytes.Clone(r.metaBytes)
}

// measuredBoth reports whether r lists every name as alive, with an echo and a
// SWIM RTT.
func measuredBoth(r *running, names []string) bool {
	got := map[string]Member{}
	for _, m := range r.Members() {
		got[m.Name] = m
	}
	for _, n := range names {
		m, ok := got[n]
		if !ok || m.State != StateAlive || m.LastRTTSeconds == nil || m.LastSWIMRTTSeconds == nil {
			return false
		}
	}
	return true
}

func others(ms []*running, self *running) []string {
	var out []string
	for _, m := range ms {
		if m != self {
			out = append(out, m.LocalName())
		}
	}
	return out
}

// unsupported returns a member's meshprobe_gossip_unsupported_version_total.
func unsupported(t *testing.T, reg prometheus.Gatherer, format string) float64 {
	t.Helper()
	return promtest.CounterValue(t, reg, "meshprobe_gossip_unsupported_version_total", map[string]string{"format": format})
}

// Members of the previous release (metadata and echo codec frozen in
// wirev1_test.go, announcing exactly the golden v1 bytes) and of this release
// (a sidecar and a node agent, RoleAgent being new) see each other and measure
// RTT to each other, echo and SWIM, both ways.
func TestMixedVersionMesh(t *testing.T) {
	sidecar, cp := goldenMetas["meta-sidecar"], goldenMetas["meta-control-plane"]
	sidecar.Keys, cp.Keys = nil, nil // the Mesh announces its keyring's: the golden key
	ms, settle := startMixed(t, []mixedMember{
		{"shop/prev-sidecar/00000001", v1Wire(), sidecar},
		{"meshprobe-system/prev-cp/00000002", v1Wire(), cp},
		{"shop/cur-a/00000003", nil, Meta{Pod: "cur-a", Namespace: "shop", Node: "node-1", App: "web", Agent: "v1.0.0", Role: RoleSidecar}},
		{"meshprobe-system/cur-agent/00000004", nil, Meta{Pod: "cur-agent", Namespace: "meshprobe-system", Node: "node-2",
			OwnerKind: "DaemonSet", OwnerName: "meshprobe-agent", App: "meshprobe-agent", Agent: "v1.0.0", Role: RoleAgent}},
	})
	assert.Equal(t, wireFile(t, "v1-meta-sidecar.bin"), metaBytes(ms[0]), "the previous release's member announces the golden bytes")
	assert.Equal(t, wireFile(t, "v1-meta-control-plane.bin"), metaBytes(ms[1]))

	require.Eventually(t, func() bool {
		for _, m := range ms {
			if !measuredBoth(m, others(ms, m)) {
				return false
			}
		}
		return true
	}, settle, 20*time.Millisecond, "every member lists every other alive with echo and SWIM RTTs")

	for _, cur := range ms[2:] {
		i := slices.IndexFunc(cur.Members(), func(m Member) bool { return m.Name == ms[0].LocalName() })
		assert.Equal(t, goldenMetas["meta-sidecar"], cur.Members()[i].Meta, "this release reads the previous one's metadata")
	}
	for _, prev := range ms[:2] {
		i := slices.IndexFunc(prev.Members(), func(m Member) bool { return m.Name == ms[3].LocalName() })
		assert.Equal(t, RoleAgent, prev.Members()[i].Meta.Role, "the previous release accepts a node agent's role")
	}
	for _, m := range ms {
		assert.Zero(t, unsupported(t, m.reg, FormatMeta), m.LocalName())
		assert.Zero(t, unsupported(t, m.reg, FormatEcho), m.LocalName())
		assert.Zero(t, promtest.CounterValue(t, m.reg, "meshprobe_gossip_invalid_metadata_total", nil), m.LocalName())
	}
}

// A later release that added fields within version 1 is seen by this release
// and the previous one, and this release measures echo RTT with it both ways.
// A later major version is ignored by both and counted by this release; the
// previous release's packet screen refuses its echo packets as packet-type.
func TestMixedVersionMeshWithLaterReleases(t *testing.T) {
	meta := func(pod string) Meta {
		return Meta{Pod: pod, Namespace: "shop", Node: "node-1", App: "web", Role: RoleSidecar}
	}
	ms, settle := startMixed(t, []mixedMember{
		{"shop/cur/00000001", nil, meta("cur")},
		{"shop/prev/00000002", v1Wire(), meta("prev")},
		{"shop/later-minor/00000003", laterMinorWire(), meta("later-minor")},
		{"shop/later-major/00000004", laterMajorWire(), meta("later-major")},
	})
	cur, prev, minor, major := ms[0], ms[1], ms[2], ms[3]
	require.Eventually(t, func() bool {
		return measuredBoth(cur, []string{prev.LocalName(), minor.LocalName()}) &&
			measuredBoth(minor, []string{cur.LocalName()}) &&
			slices.Contains(aliveNames(prev), minor.LocalName()) &&
			unsupported(t, cur.reg, FormatMeta) > 0 && unsupported(t, cur.reg, FormatEcho) > 0 &&
			promtest.CounterValue(t, prev.reg, "meshprobe_gossip_refused_total", map[string]string{"kind": "packet", "reason": RefusedPacketType}) > 0
	}, settle, 20*time.Millisecond, "later fields are ignored; the later major version is refused and counted")

	for _, r := range []*running{cur, prev, minor} {
		assert.NotContains(t, aliveNames(r), major.LocalName(), "%s ignores the later major version", r.LocalName())
	}
	assert.Contains(t, aliveNames(major), cur.LocalName(), "the later release reads this one")
	assert.Zero(t, promtest.CounterValue(t, cur.reg, "meshprobe_gossip_invalid_metadata_total", nil),
		"an unsupported version is not counted as invalid metadata")
	requireGathers(t, cur.reg)
}

// requireGathers requires a scrape of reg that gathers without error.
func requireGathers(t *testing.T, reg prometheus.Gatherer) {
	t.Helper()
	_, err := reg.Gather()
	require.NoError(t, err)
}

// A member announcing a later major version is ignored, counted apart from
// invalid metadata, and listed again once it announces version 1.
func TestUnsupportedMetaVersionMemberIgnored(t *testing.T) {
	m, reg := newExpositionMesh(t)
	ev := events{m}
	node := memberlistNode("shop/web-7d9f8c6b5-x2x4z/00000001", wireFile(t, "future-meta-v2.bin"))
	ev.NotifyJoin(node)
	assert.Len(t, m.Members(), 1, "only itself")
	assert.Equal(t, 1.0, unsupported(t, reg, FormatMeta))
	assert.Zero(t, unsupported(t, reg, FormatEcho))
	requireCounter(t, reg, "meshprobe_gossip_invalid_metadata_total", 0)

	node.Meta = wireFile(t, "future-meta-v1-later-fields.bin")
	ev.NotifyUpdate(node)
	require.Len(t, m.Members(), 2)
	assert.Equal(t, goldenMetas["meta-sidecar"], m.Members()[1].Meta)
	requireValidExposition(t, m, reg, m.Members()[1].Meta)
	assert.Equal(t, 1.0, unsupported(t, reg, FormatMeta))
}
