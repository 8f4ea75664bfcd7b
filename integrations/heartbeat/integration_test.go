package heartbeat_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

const (
	token = "s3cret-heartbeat-token"
	ns    = "shop"
)

// countingTransport counts every request a client sends to the API server.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// countingConfig wraps cfg's transport so that n counts its API requests.
func countingConfig(cfg *rest.Config, n *atomic.Int64) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt, n} })
	return cfg
}

// startHeartbeat runs the heartbeat API on a loopback port from informer caches
// that count their API requests in apiRequests.
func startHeartbeat(t testing.TB, cfg *rest.Config, apiRequests *atomic.Int64, mutate func(*heartbeat.Config)) string {
	t.Helper()
	client, err := kubernetes.NewForConfig(countingConfig(cfg, apiRequests))
	require.NoError(t, err)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := heartbeat.NewCache(factory)
	require.NoError(t, err)
	hc := heartbeat.DefaultConfig()
	hc.Token, hc.RateLimit = token, heartbeat.Rate{}
	if mutate != nil {
		mutate(&hc)
	}
	s, err := heartbeat.NewServer(hc, c, nil, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	factory.Start(ctx.Done())
	require.NoError(t, c.WaitForSync(ctx))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
		factory.Shutdown()
	})
	return "http://" + ln.Addr().String()
}

type answer struct {
	code    int
	verdict heartbeat.Verdict
	header  http.Header
}

func get(t *testing.T, method, url string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{code: resp.StatusCode, header: resp.Header}
	if method == http.MethodGet && (a.code == 200 || a.code == 503 || a.code == 404) {
		require.NoError(t, json.Unmarshal(body, &a.verdict), string(body))
	}
	if method == http.MethodHead {
		assert.Empty(t, body)
	}
	return a
}

// eventually polls the heartbeat of path until check accepts the answer.
func eventually(t *testing.T, base, path string, timeout time.Duration, check func(answer) bool, msg string) answer {
	t.Helper()
	var last answer
	require.Eventually(t, func() bool {
		last = get(t, http.MethodGet, base+path+"?token="+token)
		return check(last)
	}, timeout, 200*time.Millisecond, "%s; last answer %d %+v", msg, last.code, last.verdict)
	return last
}

func reasonCodes(v heartbeat.Verdict) []string {
	var out []string
	for _, r := range v.Reasons {
		out = append(out, r.Code)
	}
	return out
}

// TestHeartbeatOnRealAPIServer drives workloads through a real kube-apiserver and
// kube-controller-manager (there is no kubelet: the test writes pod status) and
// checks each verdict over real HTTP.
func TestHeartbeatOnRealAPIServer(t *testing.T) {
	env := testenv.Start(t, testenv.WithControllerManager())
	client := env.Client
	prepareNamespace(t, client, ns)
	var apiRequests atomic.Int64
	base := startHeartbeat(t, env.Config, &apiRequests, nil)

	t.Run("deployment", func(t *testing.T) { testDeployment(t, client, base) })
	t.Run("stuck rollout", func(t *testing.T) { testStuckRollout(t, client, base) })
	t.Run("statefulset", func(t *testing.T) { testStatefulSet(t, client, base) })
	t.Run("daemonset", func(t *testing.T) { testDaemonSet(t, client, base) })
	t.Run("HEAD, auth and unknown", func(t *testing.T) { testHTTPSemantics(t, base) })
	t.Run("rate limit", func(t *testing.T) {
		var n atomic.Int64
		limited := startHeartbeat(t, env.Config, &n, func(c *heartbeat.Config) { c.RateLimit = heartbeat.Rate{Limit: 3, Period: time.Hour} })
		for range 3 {
			assert.Equal(t, 200, get(t, http.MethodGet, limited+"/api/healthz/shop/deployment/web?token="+token).code)
		}
		a := get(t, http.MethodHead, limited+"/api/healthz/shop/deployment/web?token="+token)
		assert.Equal(t, 429, a.code)
		assert.NotEmpty(t, a.header.Get("Retry-After"))
		assert.Equal(t, "0", a.header.Get("X-RateLimit-Remaining"))
	})
	t.Run("zero API requests per heartbeat", func(t *testing.T) {
		before := apiRequests.Load()
		for range 300 {
			require.Equal(t, 200, get(t, http.MethodGet, base+"/api/healthz/shop/deployment/web?token="+token).code)
		}
		assert.Equal(t, before, apiRequests.Load(), "heartbeats must be answered from the informer caches")
	})
}

func prepareNamespace(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	_, err := client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// The ServiceAccount controller creates "default"; pods cannot be admitted before.
	require.Eventually(t, func() bool {
		_, err := client.CoreV1().ServiceAccounts(name).Get(t.Context(), "default", metav1.GetOptions{})
		return err == nil
	}, 30*time.Second, 100*time.Millisecond)
}

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			Containers:                    []corev1.Container{{Name: "app", Image: "registry.example/" + app + ":1"}},
			TerminationGracePeriodSeconds: ptr.To[int64](0),
		},
	}
}

// podState is what a kubelet would report for a pod.
type podState int

const (
	podRunningReady podState = iota
	podCrashLooping
)

// setPodStatus writes the status a kubelet would write.
func setPodStatus(t *testing.T, client kubernetes.Interface, name string, state podState) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := client.CoreV1().Pods(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		cs := corev1.ContainerStatus{Name: "app", Image: p.Spec.Containers[0].Image, ImageID: "sha256:1", Ready: true,
			Started: ptr.To(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}
		ready := corev1.ConditionTrue
		if state == podCrashLooping {
			ready, cs.Ready, cs.Started, cs.RestartCount = corev1.ConditionFalse, false, ptr.To(false), 5
			cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 2m40s"}}
		}
		p.Status = corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.244.0.10", HostIP: "10.0.0.1", StartTime: &now,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
				{Type: corev1.ContainersReady, Status: ready, LastTransitionTime: now},
				{Type: corev1.PodReady, Status: ready, LastTransitionTime: now},
			},
			ContainerStatuses: []corev1.ContainerStatus{cs},
		}
		_, err = client.CoreV1().Pods(ns).UpdateStatus(t.Context(), p, metav1.UpdateOptions{})
		return err
	})
	require.NoError(t, err)
}

// podsOf waits for n pods with label app=app and returns their names.
func podsOf(t *testing.T, client kubernetes.Interface, app string, n int) []string {
	t.Helper()
	var names []string
	require.Eventually(t, func() bool {
		list, err := client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: labels.Set{"app": app}.String()})
		require.NoError(t, err)
		names = names[:0]
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil {
				names = append(names, p.Name)
			}
		}
		return len(names) == n
	}, 30*time.Second, 100*time.Millisecond, "want %d pods of %s", n, app)
	return names
}

func testDeployment(t *testing.T, client kubernetes.Interface, base string) {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate("web")},
	}
	_, err := client.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{})
	require.NoError(t, err)
	path := "/api/healthz/shop/deployment/web"
	pods := podsOf(t, client, "web", 2)
	a := eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.code == 503 && a.verdict.Pods != nil && a.verdict.Pods.Total == 2 },
		"pods that never started make the deployment degraded")
	assert.Equal(t, heartbeat.StatusDegraded, a.verdict.Status)

	for _, p := range pods {
		setPodStatus(t, client, p, podRunningReady)
	}
	a = eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.code == 200 }, "ready pods make it healthy")
	assert.Equal(t, heartbeat.Replicas{Desired: 2, Updated: 2, Ready: 2, Available: 2}, *a.verdict.Replicas)
	assert.Equal(t, 2, a.verdict.Pods.Ready)
	assert.Empty(t, a.verdict.Reasons)

	setPodStatus(t, client, pods[0], podCrashLooping)
	a = eventually(t, base, path, 30*time.Second, func(a answer) bool {
		return a.code == 503 && a.verdict.Replicas.Available == 1 && len(a.verdict.Reasons) == 2
	}, "a crash-looping pod degrades the deployment")
	assert.ElementsMatch(t, []string{heartbeat.ReasonUnavailable, heartbeat.ReasonCrashLooping}, reasonCodes(a.verdict))
	assert.Equal(t, []string{pods[0]}, a.verdict.Pods.CrashLoopingPods)
	assert.Equal(t, int32(5), a.verdict.Pods.Restarts)

	setPodStatus(t, client, pods[0], podRunningReady)
	eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.code == 200 }, "recovery makes it healthy again")
}

func testStuckRollout(t *testing.T, client kubernetes.Interface, base string) {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "stuck"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "stuck"}},
			Template: podTemplate("stuck"), ProgressDeadlineSeconds: ptr.To[int32](2)},
	}
	_, err := client.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{})
	require.NoError(t, err)
	a := eventually(t, base, "/api/healthz/shop/deployment/stuck", 60*time.Second,
		func(a answer) bool { return a.verdict.ProgressDeadlineExceeded },
		"a rollout whose pods never become ready exceeds its progress deadline")
	assert.Equal(t, 503, a.code)
	assert.Contains(t, reasonCodes(a.verdict), heartbeat.ReasonProgressDeadlineExceeded)
}

func testStatefulSet(t *testing.T, client kubernetes.Interface, base string) {
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2), ServiceName: "db", PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, Template: podTemplate("db")},
	}
	_, err := client.AppsV1().StatefulSets(ns).Create(t.Context(), s, metav1.CreateOptions{})
	require.NoError(t, err)
	path := "/api/healthz/shop/statefulset/db"
	pods := podsOf(t, client, "db", 2)
	a := eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.code == 503 && a.verdict.Pods.Total == 2 }, "unready statefulset")
	assert.Equal(t, []string{heartbeat.ReasonReplicasUnavailable}, reasonCodes(a.verdict))
	setPodStatus(t, client, pods[0], podRunningReady)
	a = eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.verdict.Replicas != nil && a.verdict.Replicas.Ready == 1 }, "one ready")
	assert.Equal(t, 503, a.code)
	setPodStatus(t, client, pods[1], podRunningReady)
	a = eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.code == 200 }, "all ready")
	assert.Equal(t, heartbeat.Replicas{Desired: 2, Updated: 2, Ready: 2, Available: 2}, *a.verdict.Replicas)
}

func testDaemonSet(t *testing.T, client kubernetes.Interface, base string) {
	for _, name := range []string{"node-a", "node-b"} {
		createReadyNode(t, client, name)
	}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: podTemplate("agent")},
	}
	_, err := client.AppsV1().DaemonSets(ns).Create(t.Context(), ds, metav1.CreateOptions{})
	require.NoError(t, err)
	path := "/api/healthz/shop/daemonset/agent"
	pods := podsOf(t, client, "agent", 2)
	a := eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.verdict.Replicas != nil && a.verdict.Replicas.Desired == 2 }, "one pod per node")
	assert.Equal(t, 503, a.code)
	for _, p := range pods {
		setPodStatus(t, client, p, podRunningReady)
	}
	a = eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.code == 200 }, "all node agents ready")
	assert.Equal(t, int32(2), a.verdict.Replicas.Available)
	setPodStatus(t, client, pods[1], podCrashLooping)
	a = eventually(t, base, path, 30*time.Second, func(a answer) bool { return a.code == 503 && a.verdict.Replicas.Available == 1 }, "a crashing agent")
	assert.ElementsMatch(t, []string{heartbeat.ReasonReplicasUnavailable, heartbeat.ReasonCrashLooping}, reasonCodes(a.verdict))
}

func createReadyNode(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	_, err := client.CoreV1().Nodes().Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// The node IPAM controller patches new nodes too: retry on conflict.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
			LastHeartbeatTime: now, LastTransitionTime: now, Reason: "KubeletReady"}}
		_, err = client.CoreV1().Nodes().UpdateStatus(t.Context(), n, metav1.UpdateOptions{})
		return err
	})
	require.NoError(t, err)
}

func testHTTPSemantics(t *testing.T, base string) {
	web := base + "/api/healthz/shop/deployment/web"
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		assert.Equal(t, 200, get(t, m, web+"?token="+token).code, m)
		assert.Equal(t, 401, get(t, m, web).code, m)
		assert.Equal(t, 403, get(t, m, web+"?token=wrong").code, m)
		assert.Equal(t, 404, get(t, m, base+"/api/healthz/shop/deployment/absent?token="+token).code, m)
		assert.Equal(t, 404, get(t, m, base+"/api/healthz/shop/replicaset/web?token="+token).code, m)
		assert.Equal(t, 404, get(t, m, base+"/nope").code, m)
		assert.Equal(t, 200, get(t, m, base+"/healthz").code, m)
	}
	assert.Equal(t, 503, get(t, http.MethodHead, base+"/api/healthz/shop/deployment/stuck?token="+token).code)
	assert.Equal(t, 405, get(t, http.MethodPut, web+"?token="+token).code)
	unknown := get(t, http.MethodGet, base+"/api/healthz/shop/statefulset/absent?token="+token)
	assert.Equal(t, heartbeat.StatusUnknown, unknown.verdict.Status)
	assert.Equal(t, []string{heartbeat.ReasonNotFound}, reasonCodes(unknown.verdict))
	assert.NotEmpty(t, get(t, http.MethodGet, web).header.Values("WWW-Authenticate"))
}
