package checks

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/testkit/procstat"
)

// benchTargetEnv makes TestHelperHTTPTarget serve instead of skipping.
const benchTargetEnv = "MESHPROBE_CHECKS_BENCH_TARGET"

// TestHelperHTTPTarget is the benchmark's HTTP target, run as a child process so
// that its CPU and memory are not counted as the checker's. It prints its
// address and serves until stdin closes.
func TestHelperHTTPTarget(t *testing.T) {
	if os.Getenv(benchTargetEnv) != "1" {
		t.Skip("helper process for BenchmarkHTTPChecks1000")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})}
	go func() { _ = srv.Serve(l) }()
	fmt.Println(l.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
}

// startBenchTarget starts the helper target and returns its address.
func startBenchTarget(b *testing.B) string {
	b.Helper()
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^TestHelperHTTPTarget$")
	cmd.Env = append(os.Environ(), benchTargetEnv+"=1", "GOMAXPROCS=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(b, err)
	return strings.TrimSpace(addr)
}

// usage is the process's CPU time so far and its peak RSS.
func usage(b *testing.B) (cpu time.Duration, maxRSS int64) {
	maxRSS, err := procstat.StatusBytes(os.Getpid(), "VmHWM")
	require.NoError(b, err)
	return procstat.SelfCPU(), maxRSS
}

// totalRuns sums the runs of every check.
func totalRuns(m *Manager) (runs, failures uint64) {
	for _, st := range m.states() {
		st.mu.Lock()
		for r, n := range st.runs {
			runs += n
			if r != ResultSuccess {
				failures += n
			}
		}
		st.mu.Unlock()
	}
	return runs, failures
}

// measure runs m for warmup, then reports CPU cores, peak RSS and runs over d.
func measure(b *testing.B, m *Manager, warmup, d time.Duration) (cores float64, maxRSS int64, perRun time.Duration, failures uint64) {
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	time.Sleep(warmup)
	cpu0, _ := usage(b)
	runs0, fail0 := totalRuns(m)
	start := time.Now()
	time.Sleep(d)
	cpu1, rss := usage(b)
	runs1, fail1 := totalRuns(m)
	wall := time.Since(start)
	cancel()
	require.NoError(b, <-done)
	runs := runs1 - runs0
	require.Positive(b, runs)
	return (cpu1 - cpu0).Seconds() / wall.Seconds(), rss, (cpu1 - cpu0) / time.Duration(runs), fail1 - fail0
}

// BenchmarkHTTPChecks1000 runs 1,000 http checks at a 1s interval against a
// local server in another process for 20s; it reports the checker's CPU (in
// cores, from getrusage), its peak RSS and the CPU per run. Targets: <= 0.5
// core, <= 64 MiB.
func BenchmarkHTTPChecks1000(b *testing.B) {
	addr := startBenchTarget(b)
	m, err := NewManager(Config{}, nil, silentLogger(), prometheus.NewRegistry())
	require.NoError(b, err)
	var ann strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&ann, "- {name: c%04d, type: http, url: 'http://%s/c%d', interval: 1s, timeout: 900ms}\n", i, addr, i)
	}
	require.NoError(b, m.Reload(ann.String()))
	b.ResetTimer()
	cores, rss, perRun, failures := measure(b, m, 3*time.Second, 20*time.Second)
	b.ReportMetric(cores, "cores")
	b.ReportMetric(float64(rss)/(1<<20), "maxRSS-MiB")
	b.ReportMetric(float64(perRun.Microseconds()), "cpu-µs/run")
	b.ReportMetric(float64(failures), "failures")
}

// BenchmarkSchedulerOverhead runs 1,000 checks whose probe does nothing at a 1s
// interval for 10s: all CPU per run is the scheduler's own (timers, slots,
// state, metrics bookkeeping). Target: <= 50µs per run.
func BenchmarkSchedulerOverhead(b *testing.B) {
	m, err := NewManager(Config{}, nil, silentLogger(), prometheus.NewRegistry())
	require.NoError(b, err)
	var ann strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&ann, "- {name: c%04d, type: tcp, address: '127.0.0.1:1', interval: 1s, timeout: 900ms}\n", i)
	}
	require.NoError(b, m.Reload(ann.String()))
	for _, r := range m.runnerSnapshot() {
		r.prober = funcProber(func(context.Context) error { return nil })
	}
	b.ResetTimer()
	cores, _, perRun, _ := measure(b, m, 2*time.Second, 10*time.Second)
	b.ReportMetric(float64(perRun.Nanoseconds())/1000, "cpu-µs/run")
	b.ReportMetric(cores, "cores")
}

// BenchmarkRunOnce is the per-run path without timers: election (runOn: one
// over 5 live replicas), slot, attempt, state and result bookkeeping.
func BenchmarkRunOnce(b *testing.B) {
	peers := []string{"web-a", "web-b", "web-c", "web-d", "web-e"}
	mesh := &staticMembership{self: Rendezvous("ns/Deployment/web/c", peers), peers: onNode("n", peers...)} // we run it
	sched := testScheduler(4)
	sched.election = election{membership: mesh, namespace: "ns", ownerKind: "Deployment", ownerName: "web"}
	s := spec.Check{Name: "c", Type: spec.TypeTCP, Interval: spec.Duration(time.Second), Timeout: spec.Duration(time.Second), RunOn: spec.RunOnOne}
	r := &runner{spec: s, prober: funcProber(func(context.Context) error { return nil }), state: newCheckState(s), sched: sched}
	b.ReportAllocs()
	for b.Loop() {
		r.runOnce(b.Context())
	}
}

// silentLogger discards logs.
func silentLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
