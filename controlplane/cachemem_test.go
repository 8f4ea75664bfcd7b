package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/procstat"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// BenchmarkControlPlaneMemory fills a real kube-apiserver with 10,000 running
// pods (two containers with env, probes, mounts and volumes; managedFields as
// the apiserver writes them) in 100 namespaces, and 1,000 Deployments; every
// tenth namespace has injection enabled and its pods carry the sidecar. It then
// runs the control plane in-process as one replica that wins the Lease (shared
// informers, gossip member, heartbeat API, gossip keys, missed injections,
// member checks), waits until every cache has synced and each leader task has
// made a pass, and reports the heap the control plane added (live heap after a
// forced GC, less the same before it started), the process' RSS then, and its
// peak RSS while the caches filled (VmHWM, reset before the start), with GOGC
// 400 as Main sets it. MESHPROBE_BENCH_PODS scales the pod count (Deployments
// stay one per 10 pods); MESHPROBE_BENCH_MEMORY_LIMIT_MIB sets a Go memory
// limit (as GOMEMLIMIT would) while the control plane runs. Run with
// -benchtime=1x: the cluster is filled once.
func BenchmarkControlPlaneMemory(b *testing.B) {
	shape := clusterShape{namespaces: 100, deployments: 10, replicas: 10, injectedEvery: 10, workers: 8}
	if n, err := strconv.Atoi(os.Getenv("MESHPROBE_BENCH_PODS")); err == nil && n >= 100 {
		shape.namespaces = n / (shape.deployments * shape.replicas)
	}
	env := testenv.Start(b)
	cfg := *env.Config
	cfg.QPS, cfg.Burst = 2000, 4000
	client, err := kubernetes.NewForConfig(&cfg)
	require.NoError(b, err)
	start := time.Now()
	shape.fill(b, b.Context(), client)
	b.Logf("created %d pods and %d Deployments in %s", shape.pods(), shape.namespaces*shape.deployments, time.Since(start).Round(time.Second))

	before := measureMemory(b)
	resetPeakRSS(b)
	defer debug.SetGCPercent(debug.SetGCPercent(defaultGCPercent))
	if mib, err := strconv.Atoi(os.Getenv("MESHPROBE_BENCH_MEMORY_LIMIT_MIB")); err == nil && mib > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(mib) << 20)) // GOMEMLIMIT for the control plane only
	}
	hb, reg := startBenchControlPlane(b, client, env.KubeconfigPath)
	start = time.Now()
	waitCachesFilled(b, client, hb, reg, shape)
	synced := time.Since(start)
	after := measureMemory(b)
	peak, err := procstat.StatusBytes(os.Getpid(), "VmHWM")
	require.NoError(b, err)

	mib := func(v uint64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(float64(shape.pods()), "pods")
	b.ReportMetric(mib(after.heap-before.heap), "cp-heap-MiB")
	b.ReportMetric(mib(after.rss), "rss-MiB")
	b.ReportMetric(mib(after.rss-min(after.rss, before.rss)), "cp-rss-MiB")
	b.ReportMetric(mib(uint64(peak)), "peak-rss-MiB")
	b.ReportMetric(synced.Seconds(), "sync-s")
	b.Logf("baseline: heap %.1f MiB, RSS %.1f MiB; with the control plane: heap %.1f MiB, RSS %.1f MiB, peak RSS %.1f MiB; synced in %s",
		mib(before.heap), mib(before.rss), mib(after.heap), mib(after.rss), mib(uint64(peak)), synced.Round(time.Millisecond))
}

// memory is the live heap after a forced GC and the RSS after the freed pages
// went back to the OS.
type memory struct{ heap, rss uint64 }

func measureMemory(b *testing.B) memory {
	runtime.GC()
	debug.FreeOSMemory() // a second GC, and the released pages leave the RSS
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := procstat.StatusBytes(os.Getpid(), "VmRSS")
	require.NoError(b, err)
	return memory{heap: ms.HeapAlloc, rss: uint64(rss)}
}

// resetPeakRSS sets VmHWM to the current RSS (Linux clear_refs 5).
func resetPeakRSS(b *testing.B) {
	require.NoError(b, os.WriteFile("/proc/self/clear_refs", []byte("5"), 0o600))
}

// startBenchControlPlane runs the control plane as Main wires it, with every
// leader task that needs no outside service, and returns the heartbeat API's URL
// and the registry of its metrics.
func startBenchControlPlane(b *testing.B, client kubernetes.Interface, kubeconfig string) (string, *prometheus.Registry) {
	ctx := b.Context()
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: cpNamespace}}, metav1.CreateOptions{})
	require.NoError(b, err)
	key := make([]byte, 32)
	_, err = rand.Read(key)
	require.NoError(b, err)
	line := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	keyDir := b.TempDir()
	require.NoError(b, os.WriteFile(filepath.Join(keyDir, contract.GossipKeySecretKey), line, 0o600))
	_, err = client.CoreV1().Secrets(cpNamespace).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: contract.GossipKeySecretName},
		Data: map[string][]byte{contract.GossipKeySecretKey: line}}, metav1.CreateOptions{})
	require.NoError(b, err)

	b.Setenv(heartbeat.EnvAuthToken, "bench")
	b.Setenv(contract.EnvPodIP, "127.0.0.1")
	hbPort, gossipPort := freeport.TCP(b), freeport.TCPAndUDP(b)
	o, err := parseOptions([]string{"--kubeconfig=" + kubeconfig, "--namespace=" + cpNamespace, "--leader-id=bench",
		fmt.Sprintf("--heartbeat-addr=127.0.0.1:%d", hbPort), fmt.Sprintf("--view-addr=127.0.0.1:%d", freeport.TCP(b)),
		"--gossip-bind-address=127.0.0.1",
		"--gossip-port=" + strconv.Itoa(gossipPort), fmt.Sprintf("--gossip-join=127.0.0.1:%d", gossipPort), "--gossip-key-dir=" + keyDir,
	}, io.Discard)
	require.NoError(b, err)
	log := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	cp, err := newControlPlane(o, log, reg)
	require.NoError(b, err)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- runAll(runCtx, log, cp.components()) }()
	b.Cleanup(func() { cancel(); require.NoError(b, <-done) })
	return fmt.Sprintf("http://127.0.0.1:%d", hbPort), reg
}

// waitCachesFilled waits until this replica leads with synced heartbeat caches
// (/healthz answers 200), the gossip-key task has copied the key to every
// namespace with injection enabled, and the missed-injection task has made a pass.
func waitCachesFilled(b *testing.B, client kubernetes.Interface, hb string, reg *prometheus.Registry, shape clusterShape) {
	deadline := time.Now().Add(10 * time.Minute)
	wait := func(what string, ok func() bool) {
		for !ok() {
			require.True(b, time.Now().Before(deadline), "waiting for %s", what)
			time.Sleep(200 * time.Millisecond)
		}
	}
	wait("the heartbeat caches", func() bool {
		resp, err := http.Get(hb + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	wait("a missed-injection pass", func() bool {
		families, err := reg.Gather()
		require.NoError(b, err)
		for _, f := range families {
			if f.GetName() == "meshprobe_webhook_missed_pods" {
				return len(f.GetMetric()) > 0 // a series per namespace with injection enabled
			}
		}
		return false
	})
	wait("the gossip-key copies", func() bool {
		for i := range shape.namespaces {
			ns, injected := shape.benchNamespace(i)
			if !injected {
				continue
			}
			if _, err := client.CoreV1().Secrets(ns).Get(b.Context(), contract.GossipKeySecretName, metav1.GetOptions{}); err != nil {
				return false
			}
		}
		return true
	})
}
