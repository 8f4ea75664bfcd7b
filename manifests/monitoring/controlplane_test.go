package monitoring

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// Ports of the control-plane process; it has its own loopback address.
const (
	controlPlaneMetricsPortNumber = 8080
	controlPlaneHealthPort        = 8081
	controlPlaneWebhookPort       = 9443
	controlPlaneHeartbeatPort     = 8082
	controlPlaneViewPort          = 8083
	teToken                       = "test-token"
)

// controlPlane is a meshprobe-webhook process, with a Pod object that Prometheus finds.
type controlPlane struct {
	ip           string
	gossipAddr   string
	metricsURL   string
	webhookURL   string
	heartbeatURL string
	client       *http.Client
	env          *testenv.Env
}

// startControlPlane runs meshprobe-webhook as the control-plane replica
// meshprobe-system/meshprobe-webhook-0 on block+"10", against the test API server and
// a ThousandEyes fake: webhook, gossip seed, leader, heartbeat API and ThousandEyes sync.
func startControlPlane(t *testing.T, env *testenv.Env, bin, block, keyDir, logDir string) *controlPlane {
	t.Helper()
	ip := block + "10"
	te := httptest.NewServer(tefake.New(tefake.Config{Token: teToken}))
	t.Cleanup(te.Close)
	certPEM, keyPEM, _ := selfSigned(t, net.ParseIP(ip), 24*time.Hour)
	certDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(certDir, "tls.crt"), certPEM, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(certDir, "tls.key"), keyPEM, 0o600))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)

	tmpl := controlPlanePodTemplate(t)
	pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	pod.Name, pod.Namespace, pod.Spec.NodeName = "meshprobe-webhook-0", contract.DefaultNamespace, "node-a"
	pod.Spec.ServiceAccountName = "default" // the test creates no RBAC; the process uses an admin kubeconfig
	createRunningPod(t, env.Client, pod, ip)
	hostPort := func(p int) string { return net.JoinHostPort(ip, strconv.Itoa(p)) }
	startProcess(t, logDir, "meshprobe-webhook-0", bin+"/meshprobe-webhook", []string{
		"--kubeconfig=" + env.KubeconfigPath,
		"--namespace=" + contract.DefaultNamespace,
		"--cert-dir=" + certDir,
		"--webhook-host=" + ip,
		"--webhook-port=" + strconv.Itoa(controlPlaneWebhookPort),
		"--metrics-bind-address=" + hostPort(controlPlaneMetricsPortNumber),
		"--health-probe-bind-address=" + hostPort(controlPlaneHealthPort),
		"--gossip-bind-address=" + ip,
		"--gossip-port=" + strconv.Itoa(contract.DefaultGossipPort),
		"--gossip-key-dir=" + keyDir,
		"--heartbeat-addr=" + hostPort(controlPlaneHeartbeatPort),
		"--view-addr=" + hostPort(controlPlaneViewPort),
		"--insecure-no-auth",
		"--thousandeyes-api-url=" + te.URL + "/v7",
		"--thousandeyes-debounce=100ms",
		"--thousandeyes-namespaces=shop", // opted in: drive's ConfigMap is there
	}, []string{
		contract.EnvPodName + "=" + pod.Name, contract.EnvPodNamespace + "=" + pod.Namespace,
		contract.EnvPodIP + "=" + ip, contract.EnvTEAPIToken + "=" + teToken,
	})
	return &controlPlane{
		ip:           ip,
		env:          env,
		gossipAddr:   hostPort(contract.DefaultGossipPort),
		metricsURL:   "http://" + hostPort(controlPlaneMetricsPortNumber) + "/metrics",
		webhookURL:   "https://" + hostPort(controlPlaneWebhookPort) + "/mutate-v1-pod",
		heartbeatURL: "http://" + hostPort(controlPlaneHeartbeatPort),
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}},
	}
}

// drive makes the control plane do its work once, so its counters move: admission
// requests (one injected, one skipped for hostNetwork), a ThousandEyes test ConfigMap
// for the sync, and heartbeat requests.
func (cp *controlPlane) drive(t *testing.T) {
	t.Helper()
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-tests", Namespace: "shop", Labels: map[string]string{"app": "thousandeyes-tests"}},
		Data:       map[string]string{"config.yaml": teConfig("https://shop.example.com/healthz")},
	}
	_, err := cp.env.Client.CoreV1().ConfigMaps(cm.Namespace).Create(t.Context(), cm, metav1.CreateOptions{})
	require.NoError(t, err)
	for _, path := range []string{"/api/healthz/shop/deployment/frontend", "/api/healthz/shop/statefulset/cart"} {
		cp.heartbeat(t, path)
	}
	for i, hostNetwork := range []bool{false, true} {
		pod := corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "shop", Labels: map[string]string{contract.LabelInject: "true"}},
			Spec:       corev1.PodSpec{HostNetwork: hostNetwork, Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
		}
		resp := cp.admit(t, pod)
		require.True(t, resp.Allowed, "admission of %s", pod.Name)
	}
}

// keepBusy gives the control plane steady work for d, so the rendered control-plane
// panels show traffic: every 2 s an admission and two heartbeats, every 30 s a change
// to the ThousandEyes test (an update through the API).
func (cp *controlPlane) keepBusy(t *testing.T, d time.Duration) {
	t.Helper()
	kinds := []struct {
		hostNetwork bool
		labels      map[string]string
	}{
		{false, map[string]string{contract.LabelInject: "true"}},
		{false, map[string]string{contract.LabelInject: "true"}},
		{true, map[string]string{contract.LabelInject: "true"}},
		{false, map[string]string{contract.LabelInject: "false"}},
	}
	for i, end := 0, time.Now().Add(d); time.Now().Before(end); i++ {
		k := kinds[i%len(kinds)]
		cp.admit(t, corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("busy-%d", i), Namespace: "shop", Labels: k.labels},
			Spec:       corev1.PodSpec{HostNetwork: k.hostNetwork, Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
		})
		cp.heartbeat(t, "/api/healthz/shop/deployment/frontend")
		cp.heartbeat(t, "/api/healthz/payments/deployment/ledger")
		if i%15 == 14 {
			cm, err := cp.env.Client.CoreV1().ConfigMaps("shop").Get(t.Context(), "shop-tests", metav1.GetOptions{})
			require.NoError(t, err)
			cm.Data["config.yaml"] = teConfig(fmt.Sprintf("https://shop.example.com/healthz?v=%d", i))
			_, err = cp.env.Client.CoreV1().ConfigMaps("shop").Update(t.Context(), cm, metav1.UpdateOptions{})
			require.NoError(t, err)
		}
		time.Sleep(2 * time.Second)
	}
}

// teConfig is a ThousandEyes test ConfigMap's config.yaml with one test of url.
func teConfig(url string) string {
	return "httpTests:\n  - testName: shop api\n    url: " + url + "\n    interval: 300\n    agents: [\"32\"]\n"
}

// heartbeat GETs a heartbeat path from the leader (any status is an answer).
func (cp *controlPlane) heartbeat(t *testing.T, path string) {
	t.Helper()
	err := poll(t.Context(), func() error {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, cp.heartbeatURL+path, nil)
		if err != nil {
			return err
		}
		resp, err := cp.client.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	})
	require.NoError(t, err, path)
}

// admit posts an AdmissionReview for pod's CREATE to the webhook.
func (cp *controlPlane) admit(t *testing.T, pod corev1.Pod) *admissionv1.AdmissionResponse {
	t.Helper()
	raw, err := json.Marshal(pod)
	require.NoError(t, err)
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID("uid-" + pod.Name), Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: pod.Namespace, Name: pod.Name, Operation: admissionv1.Create,
			Object: runtime.RawExtension{Raw: raw},
		},
	}
	body, err := json.Marshal(review)
	require.NoError(t, err)
	var out admissionv1.AdmissionReview
	err = poll(t.Context(), func() error {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, cp.webhookURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := cp.client.Do(req)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("webhook answered %s", resp.Status)
		}
		return json.NewDecoder(resp.Body).Decode(&out)
	})
	require.NoError(t, err)
	require.NotNil(t, out.Response)
	return out.Response
}
