package heartbeat_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/internal/testkit/procstat"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// benchConns is how many keep-alive connections the load generator uses.
const benchConns = 4

// benchBatch is how many requests one benchmark iteration sends over all connections.
const benchBatch = 1000

// BenchmarkHeartbeatLoopback measures authenticated, rate-limited heartbeat
// requests over loopback with keep-alive, answered from the caches of a real
// kube-apiserver, and counts the API requests the server's client sends meanwhile.
// One op is a batch of benchBatch requests; see the req/s, p50-ms, p99-ms and
// api-requests metrics, and cpu-us/req: the CPU time of client and server
// together per request, which depends less on what else the machine runs.
// Reproduce: make bench, or
//
//	KUBEBUILDER_ASSETS=$(hack/k8s-binaries.sh) go test -run '^$' -bench HeartbeatLoopback -cpu 2 ./integrations/heartbeat/
func BenchmarkHeartbeatLoopback(b *testing.B) {
	env := testenv.Start(b)
	seedWorkload(b, env.Client)
	var apiRequests atomic.Int64
	base := startHeartbeat(b, env.Config, &apiRequests, func(c *heartbeat.Config) {
		c.RateLimit = heartbeat.Rate{Limit: 1 << 40, Period: time.Second} // on, but never reached
	})
	url := base + "/api/healthz/shop/deployment/web?token=" + token
	clients := make([]*http.Client, benchConns)
	for i := range clients {
		clients[i] = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		require.Equal(b, 200, fetch(clients[i], url), "warm-up")
	}
	latencies := make([][]time.Duration, benchConns)
	apiBefore := apiRequests.Load()
	// This process' CPU: the load generator, the heartbeat server and its
	// informers (the apiserver runs apart).
	cpuBefore := procstat.SelfCPU()
	start := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Go(func() {
				for range benchBatch / benchConns {
					t0 := time.Now()
					if code := fetch(c, url); code != 200 {
						b.Errorf("status %d", code)
						return
					}
					latencies[i] = append(latencies[i], time.Since(t0))
				}
			})
		}
		wg.Wait()
	}
	elapsed := time.Since(start)
	cpu := procstat.SelfCPU() - cpuBefore
	all := slices.Concat(latencies...)
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
	b.ReportMetric(float64(apiRequests.Load()-apiBefore), "api-requests")
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-us/req")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fetch(c *http.Client, url string) int {
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// seedWorkload writes a healthy 3-replica Deployment and its pods straight into
// the API (no controllers run), plus 200 other pods for the index to skip.
func seedWorkload(b *testing.B, client kubernetes.Interface) {
	ctx := b.Context()
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(b, err)
	_, err = client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	require.NoError(b, err)
	d, err := client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate("web")},
	}, metav1.CreateOptions{})
	require.NoError(b, err)
	d.Status = appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}}
	_, err = client.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	require.NoError(b, err)
	for i := range 203 {
		rs, app := "web-5d9f8b7c6d", "web"
		if i >= 3 {
			rs, app = fmt.Sprintf("other%d-6f7c8d9e5b", i), "other"
		}
		hash := rs[len(rs)-10:]
		p := podTemplate(app)
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", rs, i),
			Labels:          map[string]string{"app": app, appsv1.DefaultDeploymentUniqueLabelKey: hash},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs, UID: "u", Controller: ptr.To(true)}}},
			Spec: p.Spec}
		_, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		require.NoError(b, err)
	}
}
