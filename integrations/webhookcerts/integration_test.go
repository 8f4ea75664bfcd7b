package webhookcerts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/pki"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
	"github.com/meshprobe/meshprobe/webhook"
)

const webhookPath = "/mutate-v1-pod"

// TestBuiltinCertificates runs the leader task, a replica's Secret syncer and
// the real webhook server (package webhook behind controller-runtime's server
// and certwatcher) against a real kube-apiserver, which calls the webhook by
// URL. Certificates are short-lived, so the CA and the serving certificate
// rotate during the test; pods are created in a loop throughout, and every one
// must be admitted and injected (failurePolicy Fail: a TLS failure is an error).
func TestBuiltinCertificates(t *testing.T) {
	ctrllog.SetLogger(logr.FromSlogHandler(slog.DiscardHandler)) // controller-runtime's server logs through it
	env := testenv.Start(t)
	client := env.Client
	log := testlog.New(t, slog.LevelInfo)
	cfg := DefaultConfig()
	cfg.ExtraIPs = []net.IP{net.ParseIP("127.0.0.1")}
	cfg.CAValidity, cfg.CertValidity = 40*time.Second, 16*time.Second
	cfg.Backdate, cfg.Settle, cfg.Resync = time.Second, 2*time.Second, 5*time.Second
	createNamespace(t, client, cfg.Namespace, nil)
	createNamespace(t, client, "apps", map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled})
	port := freeport.TCP(t)
	createWebhookConfig(t, client, fmt.Sprintf("https://127.0.0.1:%d%s", port, webhookPath))

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := New(cfg, client, log.With("leader", "a"))
	require.NoError(t, err)
	go func() { assert.NoError(t, c.Run(ctx)) }()
	dir := t.TempDir()
	sync := NewSyncer(client, cfg.Namespace, cfg.SecretName, dir, log)
	go func() { assert.NoError(t, sync.Run(ctx)) }()
	select {
	case <-sync.Written():
	case <-time.After(20 * time.Second):
		t.Fatal("the replica never got a serving certificate")
	}
	startWebhookServer(t, ctx, port, dir, log)

	first := readSecret(t, client, cfg)
	firstCA := load(first).signing.Cert
	obs := &observer{port: port}
	require.Eventually(t, func() bool { return obs.sample(t, client) == nil }, 20*time.Second, 100*time.Millisecond, "the webhook serves")

	created, failures := 0, []string{}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := createInjectedPod(t, client, "apps", "p-"+strconv.Itoa(i)); err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", time.Now().Format(time.TimeOnly), err))
		}
		created++
		if err := obs.sample(t, client); err != nil {
			failures = append(failures, "dialing the webhook: "+err.Error())
		}
		time.Sleep(150 * time.Millisecond)
	}
	t.Logf("%d pods created across the rotations; serving certificates seen: %d, CAs seen: %d, largest caBundle: %d CAs",
		created, len(obs.leaves), len(obs.cas), obs.maxBundle)
	assert.Empty(t, failures, "every admission succeeded and injected the sidecar")
	assert.Greater(t, created, 100)
	assert.GreaterOrEqual(t, len(obs.cas), 2, "the CA rotated during the test")
	assert.GreaterOrEqual(t, len(obs.leaves), 4, "the serving certificate rotated and the server reloaded it")
	assert.Equal(t, 2, obs.maxBundle, "the old CA stayed trusted next to the new one")
	last := load(readSecret(t, client, cfg))
	assert.False(t, last.signing.Cert.Equal(firstCA))
	assert.Equal(t, fingerprint(last.signing.Cert), last.trusted)
}

// observer records what the webhook serves and what the apiserver trusts.
type observer struct {
	port      int
	mu        sync.Mutex
	leaves    map[string]bool
	cas       map[string]bool
	maxBundle int
}

// sample dials the webhook and reads the webhook configuration's caBundle; the
// served certificate must verify against that bundle.
func (o *observer) sample(t *testing.T, client kubernetes.Interface) error {
	wh, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(context.Background(), contract.WebhookConfigName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	bundle := wh.Webhooks[0].ClientConfig.CABundle
	cas, err := pki.ParseCerts(bundle)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(bundle)
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", fmt.Sprintf("127.0.0.1:%d", o.port),
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	leaf := conn.ConnectionState().PeerCertificates[0]
	_ = conn.Close()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.leaves == nil {
		o.leaves, o.cas = map[string]bool{}, map[string]bool{}
	}
	o.leaves[fingerprint(leaf)] = true
	for _, ca := range cas {
		o.cas[fingerprint(ca)] = true
	}
	o.maxBundle = max(o.maxBundle, len(cas))
	return nil
}

func startWebhookServer(t *testing.T, ctx context.Context, port int, dir string, log *slog.Logger) {
	t.Helper()
	metrics, err := webhook.NewMetrics(prometheus.NewRegistry())
	require.NoError(t, err)
	handler, err := webhook.NewHandler(webhook.DefaultConfig(), metrics, log)
	require.NoError(t, err)
	srv := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: "127.0.0.1", Port: port, CertDir: dir})
	srv.Register(webhookPath, webhook.NewHTTPHandler(webhook.HTTPConfig{}, handler, metrics, log))
	go func() { assert.NoError(t, srv.Start(ctx)) }()
}

func createWebhookConfig(t *testing.T, client kubernetes.Interface, url string) {
	t.Helper()
	_, err := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(t.Context(), &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: contract.WebhookConfigName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "namespace.inject.meshprobe.io",
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail), // a failed call must show, not be ignored
			TimeoutSeconds:          ptr.To[int32](5),
			ReinvocationPolicy:      ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}},
		}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

// createInjectedPod creates a pod and checks that the webhook injected it.
func createInjectedPod(t *testing.T, client kubernetes.Interface, ns, name string) error {
	p, err := client.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		if c.Name == contract.SidecarContainerName {
			return nil
		}
	}
	return fmt.Errorf("pod %s was admitted without the sidecar", name)
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	_, err := client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = client.CoreV1().ServiceAccounts(name).Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func readSecret(t *testing.T, client kubernetes.Interface, cfg Config) *corev1.Secret {
	t.Helper()
	s, err := client.CoreV1().Secrets(cfg.Namespace).Get(context.Background(), cfg.SecretName, metav1.GetOptions{})
	require.NoError(t, err)
	return s
}
