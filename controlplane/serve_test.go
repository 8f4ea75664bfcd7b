package controlplane

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	localcp "github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// writeServing writes tls.crt and tls.key for 127.0.0.1, signed by ca, into dir.
func writeServing(t testing.TB, ca *localcp.CA, dir string) {
	t.Helper()
	kp, err := ca.IssueServing("127.0.0.1", nil, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour)
	require.NoError(t, err)
	_, _, err = kp.Write(dir, "tls")
	require.NoError(t, err)
}

// running is a meshprobe-webhook started in-process through runArgs.
type running struct {
	webhookURL, probeURL, metricsURL string
	certDir                          string
	done                             chan int
}

// startWebhook runs the real program with a fresh CA and returns once /readyz is OK.
func startWebhook(t *testing.T, ca *localcp.CA, extra ...string) *running {
	t.Helper()
	r := &running{certDir: t.TempDir(), done: make(chan int, 1)}
	writeServing(t, ca, r.certDir)
	wp, pp, mp := freeport.TCP(t), freeport.TCP(t), freeport.TCP(t)
	r.webhookURL = fmt.Sprintf("https://127.0.0.1:%d/mutate-v1-pod", wp)
	r.probeURL = fmt.Sprintf("http://127.0.0.1:%d", pp)
	r.metricsURL = fmt.Sprintf("http://127.0.0.1:%d/metrics", mp)
	args := append([]string{
		"--cert-dir", r.certDir, "--webhook-host=127.0.0.1", "--webhook-port=" + strconv.Itoa(wp),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(pp),
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(mp),
		"--native-sidecar=true", "--log-format=text", "--log-level=warn",
	}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.done <- runArgs(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-r.done:
			assert.Equal(t, 0, code, "meshprobe-webhook exit code")
		case <-time.After(30 * time.Second):
			t.Error("meshprobe-webhook did not stop within 30s")
		}
	})
	waitReady(t, r.probeURL+"/readyz", 20*time.Second)
	return r
}

// waitReady polls url until it answers 200, failing tb after within.
func waitReady(tb testing.TB, url string, within time.Duration) {
	tb.Helper()
	require.Eventually(tb, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, within, 50*time.Millisecond, "meshprobe-webhook never became ready: %s", url)
}

func httpsClient(caPEM []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
}

const podReview = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
 "uid":"7f0a1d5e-0000-4000-8000-000000000001","kind":{"group":"","version":"v1","kind":"Pod"},
 "resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE",
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},
  "spec":{"containers":[{"name":"web","image":"nginx"}]}}}}`

func TestServeEndToEnd(t *testing.T) {
	ca, err := localcp.NewCA("meshprobe-test-ca", time.Hour)
	require.NoError(t, err)
	r := startWebhook(t, ca)
	client := httpsClient(ca.CertPEM)

	resp, err := client.Post(r.webhookURL, "application/json", bytes.NewReader([]byte(podReview)))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var review admissionv1.AdmissionReview
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&review))
	assert.True(t, review.Response.Allowed)
	assert.Equal(t, "7f0a1d5e-0000-4000-8000-000000000001", string(review.Response.UID))
	assert.Contains(t, string(review.Response.Patch), "meshprobe-sidecar")

	bad, err := client.Post(r.webhookURL, "application/json", bytes.NewReader([]byte("not json")))
	require.NoError(t, err)
	bad.Body.Close()
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode)

	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(r.probeURL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}

	metrics := get(t, r.metricsURL)
	assert.Contains(t, metrics, `meshprobe_webhook_admissions_total{reason="injected",result="injected"} 1`)
	assert.Contains(t, metrics, `meshprobe_webhook_admissions_total{reason="bad-request",result="error"} 1`)
	assert.Contains(t, metrics, `meshprobe_webhook_admissions_total{reason="host-network",result="skipped"} 0`)
	assert.Contains(t, metrics, "controller_runtime_webhook_requests_total")
}

func TestServeReloadsRotatedCertificate(t *testing.T) {
	oldCA, err := localcp.NewCA("old-ca", time.Hour)
	require.NoError(t, err)
	r := startWebhook(t, oldCA)
	_, err = httpsClient(oldCA.CertPEM).Post(r.webhookURL, "application/json", bytes.NewReader([]byte(podReview)))
	require.NoError(t, err)

	newCA, err := localcp.NewCA("new-ca", time.Hour)
	require.NoError(t, err)
	writeServing(t, newCA, r.certDir)
	require.Eventually(t, func() bool {
		c := httpsClient(newCA.CertPEM) // fresh client: a new TLS handshake each try
		resp, err := c.Post(r.webhookURL, "application/json", bytes.NewReader([]byte(podReview)))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond, "the webhook kept serving the old certificate")
}

func TestServeWaitsForCertificate(t *testing.T) {
	ca, err := localcp.NewCA("late-ca", time.Hour)
	require.NoError(t, err)
	certDir := t.TempDir()
	pp := freeport.TCP(t)
	probe := fmt.Sprintf("http://127.0.0.1:%d", pp)
	args := []string{"--cert-dir", certDir, "--native-sidecar=false", "--webhook-host=127.0.0.1",
		"--webhook-port=" + strconv.Itoa(freeport.TCP(t)), "--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(pp),
		"--metrics-bind-address=0", "--log-level=error"}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() { done <- runArgs(ctx, args) }()

	status := func(path string) int {
		resp, err := http.Get(probe + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Eventually(t, func() bool { return status("/healthz") == http.StatusOK }, 20*time.Second, 50*time.Millisecond)
	assert.Equal(t, http.StatusInternalServerError, status("/readyz"), "not ready without a certificate")

	writeServing(t, ca, certDir)
	require.Eventually(t, func() bool { return status("/readyz") == http.StatusOK }, 20*time.Second, 50*time.Millisecond)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}
