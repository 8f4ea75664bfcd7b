//go:build linux

package sidecar

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/procstat"
)

// BenchmarkSidecarResources runs the real meshprobe-sidecar binary at its default
// intervals in a mesh of 100 members (99 in-process peers on loopback), scrapes it
// every 15 s as Prometheus would, and reports its resident memory (VmRSS at the
// end, and the peak VmHWM) and its average CPU over a 60 s steady window.
// Targets: RSS <= 25 MiB, CPU <= 10 millicores.
//
// Run: go test -run '^$' -bench BenchmarkSidecarResources -benchtime 1x ./sidecar/
func BenchmarkSidecarResources(b *testing.B) {
	for range b.N {
		benchSidecarResources(b, 100, 60*time.Second)
	}
}

func benchSidecarResources(b *testing.B, members int, window time.Duration) {
	dir := b.TempDir()
	key := newKey(b)
	writeKeyFile(b, filepath.Join(dir, "keys"), key)
	atomicWrite(b, filepath.Join(dir, "podinfo"), map[string]string{"labels": "app=\"bench\"\n", "annotations": ""})
	gport, hport := freeport.TCPAndUDP(b), freeport.TCP(b)
	cmd := exec.Command(sidecarBin, "--log-level=warn", "--gossip-join=")
	cmd.Env = []string{
		"POD_NAME=sidecar", "POD_NAMESPACE=bench", "POD_IP=127.0.0.1", "NODE_NAME=node-0",
		"MESHPROBE_GOSSIP_BIND_ADDR=127.0.0.1", "MESHPROBE_HTTP_ADDR=127.0.0.1",
		"MESHPROBE_GOSSIP_PORT=" + strconv.Itoa(gport), "MESHPROBE_HTTP_PORT=" + strconv.Itoa(hport),
		"MESHPROBE_GOSSIP_KEY_DIR=" + filepath.Join(dir, "keys"), "MESHPROBE_PODINFO_DIR=" + filepath.Join(dir, "podinfo"),
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for i := 1; i < members; i++ {
		cfg := gossip.DefaultConfig()
		cfg.Name = fmt.Sprintf("bench/peer-%d/%08x", i, i)
		cfg.Meta = gossip.Meta{Pod: fmt.Sprintf("peer-%d", i), Namespace: "bench", Node: fmt.Sprintf("node-%d", i%10), App: "peer"}
		cfg.BindAddr, cfg.BindPort = "127.0.0.1", 0
		cfg.Join = []string{fmt.Sprintf("127.0.0.1:%d", gport)}
		cfg.KeyFile = filepath.Join(dir, "keys", "keys")
		cfg.Logger = slog.New(slog.DiscardHandler)
		m, err := gossip.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() { _ = m.Run(ctx) })
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", hport)
	deadline := time.Now().Add(2 * time.Minute)
	for aliveCount(base) != members {
		if time.Now().After(deadline) {
			b.Fatalf("the sidecar did not see %d members", members)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Let the join gossip drain: every join is an alive message each member
	// retransmits about 4*log10(N+1) times. BenchmarkMesh (gossip/) measures the
	// drain at 15-25 s after convergence for 50 to 500 members.
	time.Sleep(30 * time.Second)

	cpu0, t0 := procCPU(b, cmd.Process.Pid), time.Now()
	for time.Since(t0) < window {
		scrape(base)
		time.Sleep(min(15*time.Second, window-time.Since(t0)))
	}
	millicores := (procCPU(b, cmd.Process.Pid) - cpu0).Seconds() / time.Since(t0).Seconds() * 1000
	b.ReportMetric(millicores, "cpu-millicores")
	b.ReportMetric(procStatusMiB(b, cmd.Process.Pid, "VmRSS"), "rss-MiB")
	b.ReportMetric(procStatusMiB(b, cmd.Process.Pid, "VmHWM"), "peak-rss-MiB")
	if n := aliveCount(base); n != members {
		b.Errorf("the sidecar sees %d members at the end, want %d", n, members)
	}
}

func aliveCount(base string) int {
	resp, err := http.Get(base + PathReadyz)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var r readyResponse
	if json.NewDecoder(resp.Body).Decode(&r) != nil {
		return 0
	}
	return r.Gossip.Members
}

func scrape(base string) {
	if resp, err := http.Get(base + PathMetrics); err == nil {
		_ = resp.Body.Close()
	}
}

// procCPU returns the CPU time of process pid so far.
func procCPU(b *testing.B, pid int) time.Duration {
	cpu, err := procstat.CPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	return cpu
}

// procStatusMiB returns a kB field of /proc/<pid>/status in MiB.
func procStatusMiB(b *testing.B, pid int, field string) float64 {
	n, err := procstat.StatusBytes(pid, field)
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / (1 << 20)
}
