//go:build unix

package gossip

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/procstat"
)

// BenchmarkMesh measures, for meshes of 50, 200 and 500 in-process members on
// loopback (real UDP and TCP sockets, encryption on, the default timings),
// started at 50 per second (a large rollout) and joining the first member:
//   - converge-s: from the last start until every member lists every other;
//   - converge-cpu-s: the CPU time all members used from the first start until then;
//   - settle-s: from convergence until the join traffic has drained: every join
//     is an alive message that each member retransmits about 4*log10(N+1) times,
//     so for a while after convergence the members still gossip it;
//   - pkts/member/s and cpu-ms/member/s: UDP packets (in+out) and CPU time per
//     member per second in the steady 20 s window that follows (flat as N grows:
//     bounded probing);
//   - dead-s: from killing one member until every other marks it dead;
//   - false-deaths: how many times, before the kill, a member marked a live one
//     dead. It is 0 in a healthy run; it rises when members cannot answer probes
//     in time (all of them share this process and 2 cores), and such a run's
//     convergence waits for push-pull syncs (every 30 s) to repair the views.
//
// Run: go test -run '^$' -bench BenchmarkMesh -benchtime 1x ./gossip/
func BenchmarkMesh(b *testing.B) {
	for _, n := range []int{50, 200, 500} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for range b.N {
				benchMesh(b, n)
			}
		})
	}
}

func benchMesh(b *testing.B, n int) {
	kf := keyDir(b)
	writeKeys(b, kf, newKey(b))
	deaths := &deathCounter{}
	ms := make([]*Mesh, n)
	cpuStart := procstat.SelfCPU()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	const perSecond = 50
	start := time.Now()
	for i := range ms {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / perSecond)))
		cfg := DefaultConfig()
		cfg.Name = fmt.Sprintf("bench/pod-%d/%08x", i, i)
		cfg.Meta = Meta{Pod: fmt.Sprintf("pod-%d", i), Namespace: "bench", Node: fmt.Sprintf("node-%d", i%10), App: "bench"}
		cfg.BindAddr, cfg.BindPort, cfg.Join, cfg.KeyFile = "127.0.0.1", 0, nil, kf
		cfg.Logger = slog.New(deaths)
		if i > 0 {
			cfg.Join = []string{ms[0].Addr().String()}
		}
		m, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ms[i] = m
		wg.Go(func() { _ = m.Run(ctx) })
		for !m.Addr().IsValid() {
			time.Sleep(time.Millisecond)
		}
	}
	lastStart := time.Now()
	waitFor(b, 10*time.Minute, "convergence", func() bool { return allSee(ms, n-1) }, func() string { return peerRange(ms, n-1) })
	b.ReportMetric(time.Since(lastStart).Seconds(), "converge-s")
	b.ReportMetric((procstat.SelfCPU() - cpuStart).Seconds(), "converge-cpu-s")

	settleStart := time.Now()
	waitSettled(b, ms)
	b.ReportMetric(time.Since(settleStart).Seconds(), "settle-s")

	pkts0, cpu0, t0 := packets(ms), procstat.SelfCPU(), time.Now()
	time.Sleep(20 * time.Second)
	secs := time.Since(t0).Seconds()
	b.ReportMetric(float64(packets(ms)-pkts0)/float64(n)/secs, "pkts/member/s")
	b.ReportMetric((procstat.SelfCPU()-cpu0).Seconds()*1000/float64(n)/secs, "cpu-ms/member/s")
	if !allSee(ms, n-1) {
		b.Fatal("a live member was marked dead while the mesh was steady")
	}

	b.ReportMetric(float64(deaths.n.Load()), "false-deaths")
	victim := ms[n-1]
	killStart := time.Now()
	if err := victim.memberlist().Shutdown(); err != nil {
		b.Fatal(err)
	}
	waitFor(b, 5*time.Minute, "dead detection", func() bool {
		for _, m := range ms[:n-1] {
			if m.stats.isLive(victim.LocalName()) {
				return false
			}
		}
		return true
	}, nil)
	b.ReportMetric(time.Since(killStart).Seconds(), "dead-s")
}

// deathCounter is a slog.Handler that counts the members' "member gone" records
// with state=dead and discards every record.
type deathCounter struct{ n atomic.Int64 }

func (d *deathCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (d *deathCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message != memberGoneMsg {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "state" && a.Value.String() == "dead" {
			d.n.Add(1)
		}
		return true
	})
	return nil
}

func (d *deathCounter) WithAttrs([]slog.Attr) slog.Handler { return d }
func (d *deathCounter) WithGroup(string) slog.Handler      { return d }

// waitSettled waits until the mesh's packet rate, sampled over 5 s windows, stops
// falling: two windows in a row within 5% of each other.
func waitSettled(b *testing.B, ms []*Mesh) {
	const window = 5 * time.Second
	rate := func() float64 {
		p0 := packets(ms)
		time.Sleep(window)
		return float64(packets(ms) - p0)
	}
	prev := rate()
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); {
		cur := rate()
		if cur >= prev*0.95 {
			return
		}
		prev = cur
	}
	b.Fatal("the packet rate was still falling after 5 minutes")
}

// peerRange says how many peers the members list, at least and at most.
func peerRange(ms []*Mesh, want int) string {
	lo, hi := want, 0
	for _, m := range ms {
		lo, hi = min(lo, m.stats.numPeers()), max(hi, m.stats.numPeers())
	}
	return fmt.Sprintf("members list %d to %d peers of %d", lo, hi, want)
}

func allSee(ms []*Mesh, peers int) bool {
	for _, m := range ms {
		if m.stats.numPeers() != peers {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds; past limit it fails, with progress() when
// given.
func waitFor(b *testing.B, limit time.Duration, what string, cond func() bool, progress func() string) {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			if progress != nil {
				what += " (" + progress() + ")"
			}
			b.Fatalf("%s did not happen within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func packets(ms []*Mesh) uint64 {
	var n uint64
	for _, m := range ms {
		st := m.TransportStats()
		n += st.PacketsIn + st.PacketsOut
	}
	return n
}
