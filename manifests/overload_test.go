package manifests_test

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/webhook"
)

// TestWebhookOverloadStartsPodsUninjected: with the shipped
// MutatingWebhookConfiguration (failurePolicy Ignore) and the webhook's only
// in-flight slot held by a client that never finishes its body, a real
// apiserver creates pods without the sidecar instead of refusing them, and the
// webhook counts each refusal; once the slot frees, pods are injected again.
func TestWebhookOverloadStartsPodsUninjected(t *testing.T) {
	env := testenv.Start(t)
	reg := prometheus.NewRegistry()
	metrics, err := webhook.NewMetrics(reg)
	require.NoError(t, err)
	log := slog.New(slog.DiscardHandler)
	h, err := webhook.NewHandler(webhook.DefaultConfig(), metrics, log)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(webhook.NewHTTPHandler(webhook.HTTPConfig{MaxInFlight: 1, Timeout: time.Minute}, h, metrics, log))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	installShippedWebhook(t, env.Client, srv)
	const ns = "apps"
	createInjectedNamespace(t, env.Client, ns)

	injected := func() (bool, error) {
		p, err := env.Client.CoreV1().Pods(ns).Create(t.Context(), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
		}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return false, err
		}
		return p.Annotations[contract.AnnotationInjected] != "", nil
	}
	require.Eventually(t, func() bool { ok, err := injected(); return err == nil && ok }, 30*time.Second, 100*time.Millisecond,
		"the apiserver reaches the webhook")

	// A client takes the only slot: headers sent, the body never finished.
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test server
	require.NoError(t, err)
	_, err = fmt.Fprintf(conn, "POST /mutate-v1-pod HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
	require.NoError(t, err)

	var createErr error
	require.Eventually(t, func() bool {
		start := time.Now()
		ok, err := injected()
		if err != nil {
			createErr = err
			return true
		}
		t.Logf("pod created in %s, injected %v", time.Since(start).Round(time.Millisecond), ok)
		return !ok
	}, 30*time.Second, 100*time.Millisecond, "pods start uninjected while the slot is held")
	require.NoError(t, createErr, "an overloaded webhook never makes the apiserver refuse a pod")
	assert.GreaterOrEqual(t, promtest.CounterValue(t, reg, "meshprobe_webhook_admissions_total",
		map[string]string{"result": string(webhook.ResultError), "reason": string(webhook.ReasonOverloaded)}), 1.0, "the refusal was the cap's, not a timeout")

	require.NoError(t, conn.Close())
	require.Eventually(t, func() bool { ok, err := injected(); return err == nil && ok }, 30*time.Second, 100*time.Millisecond,
		"the freed slot serves admissions again")
}

// installShippedWebhook creates manifests/base's MutatingWebhookConfiguration as
// shipped, but pointed at srv.
func installShippedWebhook(t *testing.T, c kubernetes.Interface, srv *httptest.Server) {
	t.Helper()
	mwc := find[admissionregistrationv1.MutatingWebhookConfiguration](t, readObjects(t, manifestsDir), "MutatingWebhookConfiguration", contract.WebhookConfigName)
	url := srv.URL + "/mutate-v1-pod"
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	mwc.ObjectMeta = metav1.ObjectMeta{Name: mwc.Name}
	for i := range mwc.Webhooks {
		require.Equal(t, admissionregistrationv1.Ignore, *mwc.Webhooks[i].FailurePolicy, "the cap relies on failurePolicy Ignore")
		mwc.Webhooks[i].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca}
	}
	_, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(t.Context(), mwc, metav1.CreateOptions{})
	require.NoError(t, err)
}

// createInjectedNamespace creates ns with injection enabled and its default
// ServiceAccount (no controller-manager creates it).
func createInjectedNamespace(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	_, err := c.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled},
	}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.CoreV1().ServiceAccounts(ns).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	require.NoError(t, err)
}
