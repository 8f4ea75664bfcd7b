package gossipkeys

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
)

const poll = 100 * time.Millisecond

func testLogger(t *testing.T) *slog.Logger { return testlog.New(t, slog.LevelDebug) }

// fastConfig keeps passes quick in tests.
func fastConfig() Config {
	cfg := DefaultConfig()
	cfg.RotateEvery, cfg.PollInterval, cfg.Resync, cfg.ReportEvery = 0, 250*time.Millisecond, 2*time.Second, time.Hour
	return cfg
}

// runController runs a controller as a leader would, until the returned stop
// is called (or the test ends).
func runController(t *testing.T, client kubernetes.Interface, cfg Config, v MemberView, name string) (stop func()) {
	t.Helper()
	c, err := New(cfg, client, v, testLogger(t).With("leader", name))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); assert.NoError(t, c.Run(ctx)) }()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	_, err := client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// No kube-controller-manager creates the default ServiceAccount pod admission wants.
	_, err = client.CoreV1().ServiceAccounts(name).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// createMemberPod creates an injected pod (label meshprobe.io/member=true),
// Ready when asked, as a kubelet would report it.
func createMemberPod(t *testing.T, client kubernetes.Interface, ns, name string, ready bool) {
	t.Helper()
	pods := client.CoreV1().Pods(ns)
	p, err := pods.Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{contract.LabelMember: "true"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	if !ready {
		return
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	_, err = pods.UpdateStatus(t.Context(), p, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// secret returns the gossip-key Secret in ns, nil when there is none.
func secret(t *testing.T, client kubernetes.Interface, ns string) *corev1.Secret {
	t.Helper()
	s, err := client.CoreV1().Secrets(ns).Get(context.Background(), contract.GossipKeySecretName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	require.NoError(t, err)
	return s
}

// eventReasons returns the reasons of the Events about the named object.
func eventReasons(t *testing.T, client kubernetes.Interface, ns, kind, name string) []string {
	t.Helper()
	var out []string
	for _, e := range events(t, client, ns, kind, name) {
		out = append(out, e.Reason)
	}
	return out
}

// events returns the Events about the named object.
func events(t *testing.T, client kubernetes.Interface, ns, kind, name string) []corev1.Event {
	t.Helper()
	sel := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name}.AsSelector().String()
	list, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: sel})
	require.NoError(t, err)
	return list.Items
}
