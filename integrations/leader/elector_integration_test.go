package leader

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
)

// fastConfig keeps the election quick in tests; production uses DefaultConfig.
func fastConfig(ns, id string) Config {
	cfg := DefaultConfig()
	cfg.Namespace, cfg.Identity, cfg.PodName = ns, id, id
	cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 3*time.Second, 2*time.Second, 250*time.Millisecond
	cfg.StopTimeout, cfg.RelabelInterval = 5*time.Second, 2*time.Second
	return cfg
}

// candidate is one elector with a task that records its terms.
type candidate struct {
	e      *Elector
	gauge  *prometheus.Registry
	terms  atomic.Int32
	active atomic.Bool
	cancel context.CancelFunc
	done   chan struct{}
	// holderAtStop is the Lease holder seen when the task was told to stop.
	mu           sync.Mutex
	holderAtStop string
}

func startCandidate(t *testing.T, client kubernetes.Interface, cfg Config) *candidate {
	t.Helper()
	c := &candidate{gauge: prometheus.NewRegistry(), done: make(chan struct{})}
	task := Task{Name: "record", Run: func(ctx context.Context) error {
		c.terms.Add(1)
		c.active.Store(true)
		<-ctx.Done()
		lease, err := client.CoordinationV1().Leases(cfg.Namespace).Get(context.WithoutCancel(ctx), cfg.LeaseName, metav1.GetOptions{})
		if err == nil && lease.Spec.HolderIdentity != nil {
			c.mu.Lock()
			c.holderAtStop = *lease.Spec.HolderIdentity
			c.mu.Unlock()
		}
		c.active.Store(false)
		return nil
	}}
	log := testlog.New(t, slog.LevelInfo).With("candidate", cfg.Identity)
	e, err := New(cfg, client, []Task{task}, log, c.gauge)
	require.NoError(t, err)
	c.e = e
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { defer close(c.done); assert.NoError(t, e.Run(ctx)) }()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

func (c *candidate) leaderGauge(t *testing.T) float64 {
	t.Helper()
	n, err := testutil.GatherAndCount(c.gauge, "meshprobe_leader")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	mfs, err := c.gauge.Gather()
	require.NoError(t, err)
	return mfs[0].GetMetric()[0].GetGauge().GetValue()
}

func createPod(t *testing.T, client kubernetes.Interface, ns, name string, labels map[string]string) {
	t.Helper()
	_, err := client.CoreV1().Pods(ns).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "meshprobe-webhook"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func roleOf(t *testing.T, client kubernetes.Interface, ns, name string) string {
	t.Helper()
	p, err := client.CoreV1().Pods(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return p.Labels[contract.LabelRole]
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	_, err := client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// Without kube-controller-manager nobody creates the default ServiceAccount
	// that pod admission looks up.
	_, err = client.CoreV1().ServiceAccounts(name).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// TestElection runs against a real kube-apiserver and etcd.
func TestElection(t *testing.T) {
	env := testenv.Start(t)
	t.Run("handover labels the leader and stops tasks before release", func(t *testing.T) { testHandover(t, env.Client) })
	t.Run("a lost Lease stops the tasks and the replica campaigns again", func(t *testing.T) { testLossAndRecampaign(t, env.Client) })
}

func testHandover(t *testing.T, client kubernetes.Interface) {
	ns := "handover"
	createNamespace(t, client, ns)
	createPod(t, client, ns, "cp-a", map[string]string{"app.kubernetes.io/name": "meshprobe-webhook", "pod-template-hash": "aaa"})
	// cp-b is a replica of an older ReplicaSet that still carries a stale role label.
	createPod(t, client, ns, "cp-b", map[string]string{"app.kubernetes.io/name": "meshprobe-webhook", "pod-template-hash": "bbb", contract.LabelRole: contract.RoleLeader})
	// an unrelated pod with the same label is not a control-plane replica.
	createPod(t, client, ns, "unrelated", map[string]string{"app": "other", contract.LabelRole: contract.RoleLeader})

	a := startCandidate(t, client, fastConfig(ns, "cp-a"))
	require.Eventually(t, a.e.IsLeader, 20*time.Second, 50*time.Millisecond, "the only candidate leads")
	require.Eventually(t, func() bool {
		return roleOf(t, client, ns, "cp-a") == contract.RoleLeader && roleOf(t, client, ns, "cp-b") == ""
	}, 10*time.Second, 50*time.Millisecond, "the leader labels itself and clears the stale label")
	assert.Equal(t, contract.RoleLeader, roleOf(t, client, ns, "unrelated"), "pods outside the control plane are untouched")
	assert.InDelta(t, 1, a.leaderGauge(t), 0)
	assert.Eventually(t, a.active.Load, 5*time.Second, 20*time.Millisecond)

	b := startCandidate(t, client, fastConfig(ns, "cp-b"))
	require.Eventually(t, func() bool { return b.e.Leader() == "cp-a" }, 10*time.Second, 50*time.Millisecond)
	time.Sleep(time.Second)
	assert.False(t, b.e.IsLeader(), "a follower does not lead while the Lease is held")
	assert.Zero(t, b.terms.Load())
	assert.InDelta(t, 0, b.leaderGauge(t), 0)

	begin := time.Now()
	a.cancel() // graceful shutdown: tasks stop, then the Lease is released
	<-a.done
	a.mu.Lock()
	assert.Equal(t, "cp-a", a.holderAtStop, "tasks are stopped while the Lease is still held")
	a.mu.Unlock()
	assert.False(t, a.active.Load())
	assert.InDelta(t, 0, a.leaderGauge(t), 0)
	// The handover is fast because the Lease is released, not left to expire: that is
	// the property to check, as how soon the follower notices depends on load.
	released, err := client.CoordinationV1().Leases(ns).Get(t.Context(), contract.LeaseName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, "cp-a", ptr.Deref(released.Spec.HolderIdentity, ""), "graceful shutdown releases the Lease")
	require.Eventually(t, b.e.IsLeader, 10*time.Second, 20*time.Millisecond, "the follower takes over the released Lease")
	t.Logf("handover after graceful shutdown took %s (lease duration 3s)", time.Since(begin).Round(time.Millisecond))
	require.Eventually(t, func() bool {
		return roleOf(t, client, ns, "cp-b") == contract.RoleLeader && roleOf(t, client, ns, "cp-a") == ""
	}, 10*time.Second, 50*time.Millisecond, "the new leader carries the label, the old one does not")
	assert.Equal(t, int32(1), b.terms.Load())
}

func testLossAndRecampaign(t *testing.T, client kubernetes.Interface) {
	ns := "loss"
	createNamespace(t, client, ns)
	createPod(t, client, ns, "cp-c", map[string]string{"app.kubernetes.io/name": "meshprobe-webhook"})
	c := startCandidate(t, client, fastConfig(ns, "cp-c"))
	require.Eventually(t, c.e.IsLeader, 20*time.Second, 50*time.Millisecond)
	require.Eventually(t, c.active.Load, 5*time.Second, 20*time.Millisecond)

	// Another holder grabs the Lease behind the leader's back.
	leases := client.CoordinationV1().Leases(ns)
	lease, err := leases.Get(t.Context(), contract.LeaseName, metav1.GetOptions{})
	require.NoError(t, err)
	lease.Spec.HolderIdentity = ptr.To("intruder")
	lease.Spec.LeaseDurationSeconds = ptr.To[int32](4)
	lease.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
	_, err = leases.Update(t.Context(), lease, metav1.UpdateOptions{})
	require.NoError(t, err)

	require.Eventually(t, func() bool { return !c.e.IsLeader() && !c.active.Load() }, 15*time.Second, 50*time.Millisecond,
		"losing the Lease stops the leader-only tasks")
	assert.InDelta(t, 0, c.leaderGauge(t), 0)
	require.Eventually(t, func() bool { return roleOf(t, client, ns, "cp-c") == "" }, 10*time.Second, 50*time.Millisecond,
		"a replica that lost the Lease drops its role label")

	// The intruder stops renewing: the replica, still running, wins the Lease back.
	require.Eventually(t, c.e.IsLeader, 30*time.Second, 50*time.Millisecond, "the replica campaigns again instead of exiting")
	require.Eventually(t, c.active.Load, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, int32(2), c.terms.Load())
	require.Eventually(t, func() bool { return roleOf(t, client, ns, "cp-c") == contract.RoleLeader }, 10*time.Second, 50*time.Millisecond)
	got, err := leases.Get(t.Context(), contract.LeaseName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "cp-c", *got.Spec.HolderIdentity)
}
