package missedinjection

import (
	"context"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
	"github.com/meshprobe/meshprobe/webhook"
)

const poll = 100 * time.Millisecond

// TestMissedInjections runs against a real kube-apiserver, etcd and
// kube-controller-manager. Pods are created while the webhook is unreachable
// (failurePolicy Ignore lets them in without the sidecar); the task reports
// each once, on the pod and its owner, also across a leader change, and exports
// the count. With repair on, it restarts the Deployment once the webhook is
// back, and the webhook injects the new pods.
func TestMissedInjections(t *testing.T) {
	env := testenv.Start(t, testenv.WithControllerManager())
	client := env.Client
	wcfg := webhook.DefaultConfig()
	createNamespace(t, client, "apps", true)
	createNamespace(t, client, "optin", false)
	hook := createWebhookConfig(t, client)

	createDeployment(t, client, "apps", "web", 2)
	createPod(t, client, "apps", "bare", nil)
	createPod(t, client, "apps", "opted-out", map[string]string{contract.LabelInject: "false"})
	createPod(t, client, "optin", "single", map[string]string{contract.LabelInject: "true"})
	require.Eventually(t, func() bool { return len(podsOf(t, client, "apps", "app=web")) == 2 }, 30*time.Second, poll,
		"the controller-manager creates the Deployment's pods, without the sidecar")

	cfg := DefaultConfig()
	cfg.Webhook, cfg.Resync = &wcfg, time.Second
	reg := prometheus.NewRegistry()
	stopA := run(t, client, cfg, reg, "a")

	t.Run("reported once on each pod and on the owner", func(t *testing.T) {
		require.Eventually(t, func() bool {
			return testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP meshprobe_webhook_missed_pods Pods running without the meshprobe sidecar although injection selects them (created while the webhook was unreachable, or before injection was enabled), by namespace. Exported by the leader only.
# TYPE meshprobe_webhook_missed_pods gauge
meshprobe_webhook_missed_pods{namespace="apps"} 3
meshprobe_webhook_missed_pods{namespace="optin"} 1
`)) == nil
		}, 20*time.Second, poll)
		for _, p := range append(podsOf(t, client, "apps", ""), podsOf(t, client, "optin", "")...) {
			want := 1
			if p.Name == "opted-out" {
				want = 0
			}
			assert.Eventually(t, func() bool { return missedEvents(t, client, p.Namespace, "Pod", p.Name) == want }, 10*time.Second, poll,
				"pod %s: %d MissedInjection Event(s)", p.Name, want)
		}
		assert.Eventually(t, func() bool { return missedEvents(t, client, "apps", "Deployment", "web") >= 1 }, 10*time.Second, poll,
			"the Deployment hears about its pods")
		assert.Equal(t, 0, restartEvents(t, client), "repair is off by default")
		assert.Empty(t, restartedAt(t, client, "apps", "web"))
	})

	t.Run("a new leader does not report them again", func(t *testing.T) {
		stopA()
		n, err := testutil.GatherAndCount(reg)
		require.NoError(t, err)
		assert.Zero(t, n, "a replica that stopped leading exports nothing")
		cfgB := cfg
		cfgB.Repair, cfgB.RepairInterval, cfgB.RepairCooldown = RepairOff, time.Second, time.Hour
		stopB := run(t, client, cfgB, prometheus.NewRegistry(), "b")
		time.Sleep(3 * time.Second)
		assert.Equal(t, 1, missedEvents(t, client, "apps", "Pod", "bare"))
		stopB()
	})

	t.Run("repair restarts the Deployment and the webhook injects the new pods", func(t *testing.T) {
		serveWebhook(t, client, hook, &wcfg)
		cfgC := cfg
		cfgC.Repair, cfgC.RepairInterval, cfgC.RepairCooldown = RepairRestart, time.Second, time.Hour
		run(t, client, cfgC, prometheus.NewRegistry(), "c")
		require.Eventually(t, func() bool { return restartedAt(t, client, "apps", "web") != "" }, 20*time.Second, poll,
			"the Deployment's pod template gets the restartedAt annotation")
		first := restartedAt(t, client, "apps", "web")
		require.Eventually(t, func() bool {
			for _, p := range podsOf(t, client, "apps", "app=web") {
				if !Missed(p, namespaceOf(t, client, "apps"), &wcfg) && hasSidecar(p) {
					return true
				}
			}
			return false
		}, 30*time.Second, poll, "the rollout's new pod is injected")
		time.Sleep(3 * time.Second)
		assert.Equal(t, first, restartedAt(t, client, "apps", "web"), "one restart per cooldown, though old pods remain")
		assert.Equal(t, 1, restartEvents(t, client))
	})
}

func run(t *testing.T, client kubernetes.Interface, cfg Config, reg prometheus.Registerer, name string) (stop func()) {
	t.Helper()
	c, err := New(cfg, client, testlog.New(t, slog.LevelInfo).With("leader", name), reg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); assert.NoError(t, c.Run(ctx)) }()
	var once bool
	stop = func() {
		if !once {
			once = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string, enabled bool) {
	t.Helper()
	_, err := client.CoreV1().Namespaces().Create(t.Context(), namespace(name, enabled), metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = client.CoreV1().ServiceAccounts(name).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
}

// createWebhookConfig registers the webhook at an address nothing listens on:
// the webhook is down, and failurePolicy Ignore admits pods without it.
func createWebhookConfig(t *testing.T, client kubernetes.Interface) *admissionregistrationv1.MutatingWebhookConfiguration {
	t.Helper()
	url := fmt.Sprintf("https://%s/mutate-v1-pod", freeport.Addr(t))
	rule := admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
	}
	entry := func(name string, ns, obj *metav1.LabelSelector) admissionregistrationv1.MutatingWebhook {
		return admissionregistrationv1.MutatingWebhook{
			Name: name, AdmissionReviewVersions: []string{"v1"}, SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone),
			FailurePolicy: ptr.To(admissionregistrationv1.Ignore), TimeoutSeconds: ptr.To[int32](2),
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url}, Rules: []admissionregistrationv1.RuleWithOperations{rule},
			NamespaceSelector: ns, ObjectSelector: obj,
		}
	}
	notInject := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: contract.LabelInject, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"true", "false"}}}}
	wh, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(t.Context(), &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: contract.WebhookConfigName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{
			entry("namespace.inject.meshprobe.io", &metav1.LabelSelector{MatchLabels: map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}}, notInject),
			entry("pod.inject.meshprobe.io", &metav1.LabelSelector{}, &metav1.LabelSelector{MatchLabels: map[string]string{contract.LabelInject: "true"}}),
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return wh
}

// serveWebhook brings the webhook up: the real handler over TLS on a real
// socket, and the configuration pointed at it.
func serveWebhook(t *testing.T, client kubernetes.Interface, wh *admissionregistrationv1.MutatingWebhookConfiguration, cfg *webhook.Config) {
	t.Helper()
	log := testlog.New(t, slog.LevelInfo)
	metrics, err := webhook.NewMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	h, err := webhook.NewHandler(*cfg, metrics, log)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(webhook.NewHTTPHandler(webhook.HTTPConfig{}, h, metrics, log))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	url := srv.URL + "/mutate-v1-pod"
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cur, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), wh.Name, metav1.GetOptions{})
	require.NoError(t, err)
	for i := range cur.Webhooks {
		cur.Webhooks[i].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca}
	}
	_, err = client.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(t.Context(), cur, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { // a dry-run pod comes back injected: the apiserver reaches the webhook
		p, err := client.CoreV1().Pods("apps").Create(t.Context(), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "c"}}},
		}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && hasSidecar(p)
	}, 10*time.Second, poll, "the webhook is back")
}

func createDeployment(t *testing.T, client kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	lbl := map[string]string{"app": name}
	_, err := client.AppsV1().Deployments(ns).Create(t.Context(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas), Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func createPod(t *testing.T, client kubernetes.Interface, ns, name string, lbl map[string]string) {
	t.Helper()
	_, err := client.CoreV1().Pods(ns).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbl},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func podsOf(t *testing.T, client kubernetes.Interface, ns, selector string) []*corev1.Pod {
	t.Helper()
	list, err := client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	require.NoError(t, err)
	var out []*corev1.Pod
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out
}

func namespaceOf(t *testing.T, client kubernetes.Interface, name string) *corev1.Namespace {
	t.Helper()
	ns, err := client.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return ns
}

func hasSidecar(p *corev1.Pod) bool {
	for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		if c.Name == contract.SidecarContainerName {
			return true
		}
	}
	return false
}

// missedEvents counts the MissedInjection Events (with their repeat counts)
// about one object.
func missedEvents(t *testing.T, client kubernetes.Interface, ns, kind, name string) int {
	t.Helper()
	sel := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name, "reason": ReasonMissed}.AsSelector().String()
	list, err := client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: sel})
	require.NoError(t, err)
	n := 0
	for _, e := range list.Items {
		n += int(max(e.Count, 1))
	}
	return n
}

func restartEvents(t *testing.T, client kubernetes.Interface) int {
	t.Helper()
	list, err := client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("reason", ReasonRestarted).String()})
	require.NoError(t, err)
	return len(list.Items)
}

func restartedAt(t *testing.T, client kubernetes.Interface, ns, name string) string {
	t.Helper()
	d, err := client.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return d.Spec.Template.Annotations[contract.AnnotationRestartedAt]
}
