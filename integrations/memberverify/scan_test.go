package memberverify

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/gossip"
)

// scanFixture is a scanner over a settable member list, with a registry and a
// recorder that keeps the Events' text (the controlplane's impostor test
// records real Events on a real apiserver).
type scanFixture struct {
	mesh *mesh
	reg  *prometheus.Registry
	rec  *record.FakeRecorder
	s    *scanner
	now  time.Time
}

func newScanFixture(t *testing.T, cfg Config) *scanFixture {
	t.Helper()
	f := &scanFixture{mesh: &mesh{}, reg: prometheus.NewRegistry(), rec: record.NewFakeRecorder(100), now: time.Unix(1_800_000_000, 0)}
	m, err := newGauge(f.reg)
	require.NoError(t, err)
	r := &Reporter{cfg: cfg, view: NewView(f.mesh, lister(t, webPod(), dbPod()), func() bool { return true }),
		log: slog.New(slog.DiscardHandler), metrics: m}
	f.s = newScanner(r, f.rec)
	return f
}

// scanAt advances the clock by d and scans.
func (f *scanFixture) scanAt(d time.Duration) {
	f.now = f.now.Add(d)
	f.s.scan(f.now)
}

func (f *scanFixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// gauge reads meshprobe_mesh_impostor_members{reason}; -1 when absent.
func (f *scanFixture) gauge(reason Reason) float64 {
	mfs, _ := f.reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == string(reason) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func TestScanReportsAfterGrace(t *testing.T) {
	cfg := DefaultConfig()
	f := newScanFixture(t, cfg)
	web := honest(webPod(), "Deployment", "web")
	f.mesh.members = []gossip.Member{self(), web, liar()}

	f.scanAt(0)
	assert.Zero(t, f.gauge(ReasonIPMismatch), "within the grace period")
	assert.Empty(t, f.events())
	f.scanAt(cfg.Grace)
	assert.Equal(t, 1.0, f.gauge(ReasonIPMismatch))
	assert.Zero(t, f.gauge(ReasonUnknownPod), "every reason is exported")
	ev := f.events()
	require.Len(t, ev, 1)
	assert.Contains(t, ev[0], "Warning GossipImpostor gossip member \"shop/web-1/0a1b2c3d\" at 10.0.0.66:7946 claims pod shop/web-1, but its gossip address is not the pod's IP (ip-mismatch)")

	f.scanAt(cfg.Interval)
	assert.Empty(t, f.events(), "one Event per impostor")
	assert.Equal(t, 1.0, f.gauge(ReasonIPMismatch))

	f.mesh.members = []gossip.Member{self(), web}
	f.scanAt(cfg.Interval)
	assert.Zero(t, f.gauge(ReasonIPMismatch), "it left")
	assert.Empty(t, f.s.suspect)
}

func TestScanGraceSurvivesAChangeOfStory(t *testing.T) {
	cfg := DefaultConfig()
	f := newScanFixture(t, cfg)
	l := liar()
	f.mesh.members = []gossip.Member{l}
	f.scanAt(0)
	l.Meta.OwnerName = "checkout" // a new claim does not restart the grace period
	l.Addr = webIP + ":7946"
	f.mesh.members = []gossip.Member{l}
	f.scanAt(cfg.Grace)
	assert.Equal(t, 1.0, f.gauge(ReasonOwnerMismatch))
	assert.Len(t, f.events(), 1)
}

func TestScanRateLimitsEvents(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EventBurst, cfg.EventInterval, cfg.Grace, cfg.PodName = 3, time.Minute, 0, "cp-a"
	f := newScanFixture(t, cfg)
	for i := range 20 { // one attacker, twenty names
		m := liar()
		m.Name, m.Meta.Pod = fmt.Sprintf("shop/ghost-%02d/0a1b2c3d", i), fmt.Sprintf("ghost-%02d", i)
		f.mesh.members = append(f.mesh.members, m)
	}
	f.scanAt(0)
	assert.Len(t, f.events(), 3, "the burst")
	assert.Equal(t, 20.0, f.gauge(ReasonUnknownPod), "the gauge counts them all")
	f.scanAt(cfg.Interval)
	assert.Empty(t, f.events(), "no budget yet")
	f.scanAt(cfg.EventInterval)
	assert.Len(t, f.events(), 1, "one per EventInterval")
	f.scanAt(10 * cfg.EventInterval)
	assert.Len(t, f.events(), 3, "the bucket holds no more than the burst")
}

func TestScanEventObject(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Grace = 0
	ghost := liar()
	ghost.Name, ghost.Meta.Pod = "shop/ghost/0a1b2c3d", "ghost"
	f := newScanFixture(t, cfg)
	f.mesh.members = []gossip.Member{ghost}
	f.scanAt(0)
	assert.Empty(t, f.events(), "no pod of its own to put the Event on: logged and counted only")

	cfg.Namespace, cfg.PodName = "meshprobe-system", "cp-a"
	f = newScanFixture(t, cfg)
	f.mesh.members = []gossip.Member{ghost}
	f.scanAt(0)
	assert.Len(t, f.events(), 1, "on the leader's own pod")
	ref, ok := f.s.eventObject(Impostor{Member: ghost}).(*corev1.ObjectReference)
	require.True(t, ok)
	assert.Equal(t, corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "meshprobe-system", Name: "cp-a"}, *ref)
	assert.Equal(t, webPod(), f.s.eventObject(Impostor{Member: liar(), Verdict: Verdict{Pod: webPod()}}), "on the claimed pod when it exists")
}

func TestReporterMetricsHelp(t *testing.T) {
	f := newScanFixture(t, DefaultConfig())
	f.mesh.members = []gossip.Member{liar()}
	f.scanAt(0)
	f.scanAt(time.Hour)
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(`
# HELP meshprobe_mesh_impostor_members Live gossip members whose claimed pod does not check out against the control plane's pod cache (name, namespace, UID, IP, owner), by reason; they are left out of heartbeat verdicts and the key-rotation gate. Exported by the leader only.
# TYPE meshprobe_mesh_impostor_members gauge
meshprobe_mesh_impostor_members{reason="bad-name"} 0
meshprobe_mesh_impostor_members{reason="ip-mismatch"} 1
meshprobe_mesh_impostor_members{reason="namespace-mismatch"} 0
meshprobe_mesh_impostor_members{reason="owner-mismatch"} 0
meshprobe_mesh_impostor_members{reason="pod-mismatch"} 0
meshprobe_mesh_impostor_members{reason="uid-mismatch"} 0
meshprobe_mesh_impostor_members{reason="unknown-pod"} 0
`)))
	f.s.r.metrics.Set(nil)
	n, err := testutil.GatherAndCount(f.reg)
	require.NoError(t, err)
	assert.Zero(t, n, "a replica that stops leading exports nothing")
}
