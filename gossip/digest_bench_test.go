//go:build unix

package gossip

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// digestWireOverhead is what memberlist adds to a digest sent with
// SendBestEffort to a node of ours (no CRC): the user-message type byte, then
// AES-GCM's version byte, 12-byte nonce and 16-byte tag. IP and UDP headers (28
// bytes on IPv4) come on top.
const digestWireOverhead = 1 + 1 + 12 + 16

// BenchmarkDigests measures, for meshes of 50 and 200 in-process members on
// loopback (real sockets, encryption on, default timings and DigestInterval)
// of which 2 are control-plane members, what digests add, over a 40 s window
// once every member lists the control plane and 95 % of the others
// (min-listed-%: the least complete list), and 20 s for the join gossip:
//   - digest-B: the mean encoded digest (5 checks, one failing with an error,
//     the member's echo RTT of the last 30 s, its coordinate);
//   - sender-B/s: UDP payload bytes a sidecar sends in digests per second
//     (encoded digest plus memberlist's overhead, to each control-plane member);
//   - cp-recv-B/s and cp-digests/s: what each control-plane member receives;
//   - mean-B/member/s: all digest bytes sent, over all members;
//   - base-B/member/s: the mesh's own UDP bytes (in+out) per member per second in
//     a 40 s window without digests, for scale; delta-B/member/s: the same
//     window's figure with digests, minus it (a cross-check, noisy; in+out
//     counts each digest twice, so about 2 × mean-B/member/s);
//   - refused-<reason>: digests refused, when any (a sender taken for dead).
//
// Run: go test -run '^$' -bench BenchmarkDigests -benchtime 1x -timeout 30m ./gossip/
func BenchmarkDigests(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for range b.N {
				benchDigests(b, n)
			}
		})
	}
}

const benchControlPlanes = 2

func benchDigests(b *testing.B, n int) {
	ms := startBenchMesh(b, n)
	// Digests need only the control plane known; on a loaded machine a
	// 200-member mesh in one process may not list every member everywhere.
	waitFor(b, 10*time.Minute, "convergence", func() bool { return knowControlPlane(ms, n) }, func() string { return peerRange(ms, n-1) })
	time.Sleep(20 * time.Second) // let the join gossip drain
	b.ReportMetric(100*float64(minPeers(ms))/float64(n-1), "min-listed-%")
	const window = 40 * time.Second

	base := sumOver(ms, udpBytes)
	time.Sleep(window)
	baseRate := float64(sumOver(ms, udpBytes)-base) / float64(n) / window.Seconds()

	for _, m := range ms[benchControlPlanes:] {
		m.SetDigestSource(benchSource(m))
	}
	time.Sleep(DefaultDigestInterval) // every sender has started its cycle
	cps := ms[:benchControlPlanes]
	bytes0, sent0, sentBytes0 := sumOver(ms, udpBytes), sumOver(ms, digestsSent), sumOver(ms, digestBytesSent)
	recv0, t0 := sumOver(cps, digestsReceived), time.Now()
	time.Sleep(window)
	secs := time.Since(t0).Seconds()
	sent, sentBytes := sumOver(ms, digestsSent)-sent0, sumOver(ms, digestBytesSent)-sentBytes0
	recv := sumOver(cps, digestsReceived) - recv0
	if sent == 0 || recv == 0 {
		b.Fatalf("no digest sent (%d) or received (%d)", sent, recv)
	}
	wire := float64(sentBytes + sent*digestWireOverhead)
	senders := float64(n - benchControlPlanes)
	b.ReportMetric(float64(sentBytes)/float64(sent), "digest-B")
	b.ReportMetric(wire/senders/secs, "sender-B/s")
	b.ReportMetric(wire/float64(sent)*float64(recv)/benchControlPlanes/secs, "cp-recv-B/s")
	b.ReportMetric(float64(recv)/benchControlPlanes/secs, "cp-digests/s")
	b.ReportMetric(wire/float64(n)/secs, "mean-B/member/s")
	b.ReportMetric(baseRate, "base-B/member/s")
	b.ReportMetric(float64(sumOver(ms, udpBytes)-bytes0)/float64(n)/secs-baseRate, "delta-B/member/s")
	for i, reason := range digestRefusedReasons {
		if n := sumOver(ms, func(m *Mesh) uint64 { return m.digest.metrics.refused[i].Load() }); n > 0 {
			b.ReportMetric(float64(n), "refused-"+reason)
		}
	}
}

// knowControlPlane reports whether every member lists the control-plane
// members and at least 95 % of the others.
func knowControlPlane(ms []*Mesh, n int) bool {
	for _, m := range ms {
		if m.stats.numPeers() < (n-1)*95/100 {
			return false
		}
		for _, cp := range ms[:benchControlPlanes] {
			if m != cp && !m.stats.isLive(cp.LocalName()) {
				return false
			}
		}
	}
	return true
}

func minPeers(ms []*Mesh) int {
	lo := len(ms)
	for _, m := range ms {
		lo = min(lo, m.stats.numPeers())
	}
	return lo
}

// startBenchMesh starts n members at 50 per second joining member 0; the first
// benchControlPlanes are control-plane members that take digests.
func startBenchMesh(b *testing.B, n int) []*Mesh {
	kf := keyDir(b)
	writeKeys(b, kf, newKey(b))
	ms := make([]*Mesh, n)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.Cleanup(func() { cancel(); wg.Wait() })
	for i := range ms {
		time.Sleep(20 * time.Millisecond)
		cfg := DefaultConfig()
		cfg.Name = fmt.Sprintf("bench/sidecar-%d-7d9f8c6b5-x2x4z/%08x", i, i)
		cfg.Meta = Meta{Pod: fmt.Sprintf("sidecar-%d-7d9f8c6b5-x2x4z", i), Namespace: "bench", Node: fmt.Sprintf("node-%d", i%10), App: "bench", Role: RoleSidecar}
		if i < benchControlPlanes {
			cfg.Meta.Role = RoleControlPlane
		}
		cfg.BindAddr, cfg.BindPort, cfg.Join, cfg.KeyFile = "127.0.0.1", 0, nil, kf
		cfg.Logger = slog.New(slog.DiscardHandler)
		if i > 0 {
			cfg.Join = []string{ms[0].Addr().String()}
		}
		m, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if i < benchControlPlanes {
			m.OnDigest(func(Member, Digest) {})
		}
		ms[i] = m
		wg.Go(func() { _ = m.Run(ctx) })
		for !m.Addr().IsValid() {
			time.Sleep(time.Millisecond)
		}
	}
	return ms
}

// benchSource is a sidecar's typical digest: five checks, one failing.
func benchSource(m *Mesh) func() Digest {
	return func() Digest {
		now := time.Now()
		d := Digest{RTT: m.EchoRTT(now.Add(-30 * time.Second)), Coord: m.Coordinate()}
		for i, typ := range []string{"http", "http", "tcp", "dns", "grpc"} {
			c := CheckDigest{Name: fmt.Sprintf("check-%s-%d", typ, i), Type: typ, Result: "success",
				LastRun: now.Add(-time.Second), LastSuccess: now.Add(-time.Second)}
			if i == 1 {
				c.Result, c.ConsecutiveFailures, c.LastSuccess = "failure", 12, now.Add(-2*time.Minute)
				c.Error = `GET http://payments.shop.svc:8080/healthz: 503 Service Unavailable`
			}
			d.Checks = append(d.Checks, c)
		}
		return d
	}
}

// sumOver adds f over the members.
func sumOver(ms []*Mesh, f func(*Mesh) uint64) uint64 {
	var n uint64
	for _, m := range ms {
		n += f(m)
	}
	return n
}

func udpBytes(m *Mesh) uint64 {
	st := m.TransportStats()
	return st.BytesIn + st.BytesOut
}

func digestsSent(m *Mesh) uint64     { return m.digest.metrics.sent.Load() }
func digestBytesSent(m *Mesh) uint64 { return m.digest.metrics.sentBytes.Load() }
func digestsReceived(m *Mesh) uint64 { return m.digest.metrics.received.Load() }
