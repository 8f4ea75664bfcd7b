package controlplane

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	localcp "github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/procstat"
)

// benchClients is the number of concurrent HTTPS clients, like an apiserver
// holding several connections to a webhook.
const benchClients = 16

// benchRate is the offered load of the paced run: the throughput target.
const benchRate = 3000

// BenchmarkHTTPSRoundTrip drives a real meshprobe-webhook process (built from
// this package) over HTTPS with 16 concurrent keep-alive clients, each POSTing
// the AdmissionReview of a typical 3-container Deployment pod and reading the
// patch. Targets on 2 cores: >= 3000 reviews/s with p99 <= 5ms, RSS <= 64MiB.
//
//   - closed-loop: each client sends its next review as soon as the last is
//     answered, which finds the most the webhook and its clients sustain. Latency
//     there is set by the queue the 16 clients keep full (Little's law: mean
//     latency = 16 / throughput), not by the webhook.
//   - rate=3000: the clients together offer 3000 reviews/s on a fixed schedule,
//     the way an apiserver's admissions arrive, and latency is measured from when
//     each review was due, so a stall counts against every review it delays.
//
// Where taskset exists and there are two CPUs, the webhook runs on CPU 1 and the
// load generator on CPU 0, as if the apiserver were on another machine: the
// webhook gets one core (GOMAXPROCS 1), and the load generator's CPU and
// scheduling stay off it. MESHPROBE_BENCH_PIN=0 shares both cores instead.
func BenchmarkHTTPSRoundTrip(b *testing.B) {
	wh := startBenchWebhook(b)
	b.Run("closed-loop", func(b *testing.B) { wh.run(b, 0) })
	b.Run("rate="+strconv.Itoa(benchRate), func(b *testing.B) { wh.run(b, benchRate) })
}

// benchWebhook is a running meshprobe-webhook and 16 connected clients.
type benchWebhook struct {
	pid     int
	pinned  bool // the webhook runs on CPU 1, the load generator on CPU 0
	url     string
	body    []byte
	clients []*http.Client
}

func startBenchWebhook(b *testing.B) *benchWebhook {
	bin := webhookBinary(b)
	ca, err := localcp.NewCA("bench-ca", time.Hour)
	require.NoError(b, err)
	certDir := b.TempDir()
	writeServing(b, ca, certDir)
	port, probe := freeport.TCP(b), freeport.TCP(b)
	argv, pinned := pinCommand([]string{bin, "--cert-dir", certDir, "--webhook-host=127.0.0.1", "--webhook-port=" + strconv.Itoa(port),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(probe), "--metrics-bind-address=0",
		"--native-sidecar=true", "--leader-elect=false", "--gossip=false", "--log-level=error"})
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(certDir, "no-kubeconfig"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(b, cmd.Start())
	b.Cleanup(func() {
		if b.Failed() {
			b.Logf("meshprobe-webhook stderr:\n%s", stderr.String())
		}
	})
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitReady(b, fmt.Sprintf("http://127.0.0.1:%d/readyz", probe), 30*time.Second)

	wh := &benchWebhook{pid: cmd.Process.Pid, pinned: pinned, url: fmt.Sprintf("https://127.0.0.1:%d%s", port, webhookPath), body: benchReview(b)}
	for range benchClients {
		c := httpsClient(ca.CertPEM)
		c.Transport.(*http.Transport).MaxIdleConnsPerHost = 1
		require.NoError(b, postReview(c, wh.url, wh.body)) // the TLS handshake, outside the timing
		wh.clients = append(wh.clients, c)
	}
	return wh
}

// run sends b.N reviews: back to back when rate is 0, else at rate per second
// across all clients. It reports throughput, latency, peak RSS and CPU.
func (wh *benchWebhook) run(b *testing.B, rate int) {
	if wh.pinned {
		defer pinThreads(b, 0)()
	}
	// The load generator's own GC pauses would count as webhook latency.
	defer debug.SetGCPercent(debug.SetGCPercent(800))
	rssCtx, stopRSS := context.WithCancel(context.Background())
	peakRSS := sampleRSS(rssCtx, wh.pid)
	latencies := make([][]time.Duration, len(wh.clients))
	roundTrips := make([][]time.Duration, len(wh.clients))
	var next atomic.Int64
	var wg sync.WaitGroup
	serverCPU0, clientCPU0 := webhookCPU(b, wh.pid), procstat.SelfCPU()
	b.ResetTimer()
	start := time.Now()
	for i, c := range wh.clients {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				due := time.Now()
				if rate > 0 { // review n is due at start + n/rate, whoever sends it
					due = start.Add(time.Duration(n) * time.Second / time.Duration(rate))
					time.Sleep(time.Until(due))
				}
				sent := time.Now()
				if err := postReview(c, wh.url, wh.body); err != nil {
					b.Error(err) // not Fatal: this is not the benchmark's goroutine
					return
				}
				latencies[i] = append(latencies[i], time.Since(due))
				roundTrips[i] = append(roundTrips[i], time.Since(sent))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	stopRSS()
	if b.Failed() {
		return
	}
	serverCPU, clientCPU := webhookCPU(b, wh.pid)-serverCPU0, procstat.SelfCPU()-clientCPU0

	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reviews/s")
	pct := percentiles(latencies)
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(0.999), "p99.9-ms")
	if rate > 0 { // without the time a review waited for its sender to wake up
		b.ReportMetric(percentiles(roundTrips)(0.99), "round-trip-p99-ms")
	}
	b.ReportMetric(float64(<-peakRSS)/(1<<20), "peak-rss-MiB")
	// CPU per review, so figures taken on a busy box can be read: with both cores
	// to themselves, server and clients would manage 2 s / (server+client) per s.
	perReview := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(b.N) }
	b.ReportMetric(perReview(serverCPU), "server-cpu-µs/review")
	b.ReportMetric(perReview(clientCPU), "client-cpu-µs/review")
	b.ReportMetric(2*float64(time.Second)/(float64(serverCPU+clientCPU)/float64(b.N)), "2core-reviews/s")
}

// webhookCPU is the webhook process' CPU time so far.
func webhookCPU(b *testing.B, pid int) time.Duration {
	cpu, err := procstat.CPU(pid)
	require.NoError(b, err)
	return cpu
}

// percentiles sorts the merged samples and returns their percentiles in ms.
func percentiles(samples [][]time.Duration) func(p float64) float64 {
	all := slices.Concat(samples...)
	slices.Sort(all)
	return func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
}

// pinThreads binds every thread of this process (and so the threads it starts
// later) to cpu, with GOMAXPROCS 1, and returns the undo.
func pinThreads(b *testing.B, cpu int) (restore func()) {
	var old, pinned unix.CPUSet
	require.NoError(b, unix.SchedGetaffinity(0, &old))
	pinned.Set(cpu)
	apply := func(set *unix.CPUSet) {
		for range 2 { // a thread started while the first pass runs
			tasks, _ := os.ReadDir("/proc/self/task")
			for _, t := range tasks {
				if tid, err := strconv.Atoi(t.Name()); err == nil {
					_ = unix.SchedSetaffinity(tid, set)
				}
			}
		}
	}
	apply(&pinned)
	procs := runtime.GOMAXPROCS(1)
	return func() { runtime.GOMAXPROCS(procs); apply(&old) }
}

// pinCommand returns argv run on CPU 1 by taskset when the benchmark can keep the
// webhook and the load generator on separate cores, else argv unchanged.
func pinCommand(argv []string) ([]string, bool) {
	if os.Getenv("MESHPROBE_BENCH_PIN") == "0" || runtime.NumCPU() < 2 {
		return argv, false
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return argv, false
	}
	return append([]string{taskset, "-c", "1"}, argv...), true
}

// postReview POSTs one review and checks that a patch comes back.
func postReview(c *http.Client, url string, body []byte) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(answer, []byte(`"patch":`)) {
		return fmt.Errorf("status %d, err %v, answer %.200s", resp.StatusCode, err, answer)
	}
	return nil
}

// benchReview wraps webhook/testdata/pods/deployment.yaml in an AdmissionReview.
func benchReview(b *testing.B) []byte {
	data, err := os.ReadFile(filepath.Join("..", "webhook", "testdata", "pods", "deployment.yaml"))
	require.NoError(b, err)
	pod, err := yaml.YAMLToJSON(data)
	require.NoError(b, err)
	return []byte(strings.Replace(podReview, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},
  "spec":{"containers":[{"name":"web","image":"nginx"}]}}`, string(pod), 1))
}

// sampleRSS polls the process' VmRSS until ctx ends, then sends the peak (the
// larger of the samples and the kernel's VmHWM).
func sampleRSS(ctx context.Context, pid int) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			rss, _ := procstat.StatusBytes(pid, "VmRSS") // 0 once the process is gone
			peak = max(peak, rss)
			select {
			case <-ctx.Done():
				hwm, _ := procstat.StatusBytes(pid, "VmHWM")
				out <- max(peak, hwm)
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// webhookBinary builds cmd/meshprobe-webhook (this package's Main) as `make
// build` does into a temporary directory (the Go build cache makes every build
// after the first a quick link).
func webhookBinary(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "meshprobe-webhook")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", path, "../cmd/meshprobe-webhook")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(tb, err, "go build: %s", out)
	return path
}
