package install

import (
	"crypto/x509"
	"encoding/pem"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

func TestRenderBuiltin(t *testing.T) {
	objs, err := renderBuiltin("testdata/base")
	require.NoError(t, err)
	require.Len(t, objs, 6)
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			assert.Empty(t, o.GetNamespace())
			continue
		}
		if o.GetKind() != "MutatingWebhookConfiguration" {
			assert.Equal(t, "meshprobe-system", o.GetNamespace(), o.GetKind())
		}
		if o.GetKind() == "Deployment" {
			assert.Contains(t, o.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"], "meshprobe-webhook:v9.9.9")
		}
	}
}

func TestRenderAgreesWithKubectl(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("install: kubectl is not installed; only the built-in renderer is tested")
	}
	builtin, err := renderBuiltin("testdata/base")
	require.NoError(t, err)
	viaKubectl, err := Render(t.Context(), "testdata/base")
	require.NoError(t, err)
	require.Len(t, viaKubectl, len(builtin))
}

func TestApplyStandsInForCertManager(t *testing.T) {
	env := testenv.Start(t)
	ca, err := controlplane.NewCA("test-webhook-ca", time.Hour)
	require.NoError(t, err)
	objs, err := renderBuiltin("testdata/base")
	require.NoError(t, err)
	require.NoError(t, Apply(t.Context(), env.Config, objs, Options{CA: ca}))

	ctx := t.Context()
	secret, err := env.Client.CoreV1().Secrets("meshprobe-system").Get(ctx, "meshprobe-webhook-tls", metav1.GetOptions{})
	require.NoError(t, err)
	block, _ := pem.Decode(secret.Data["tls.crt"])
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "meshprobe-webhook.meshprobe-system.svc"})
	assert.NoError(t, err, "the serving certificate is valid for the Service name and signed by the CA")

	mwc, err := env.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "meshprobe", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, ca.CertPEM, mwc.Webhooks[0].ClientConfig.CABundle)

	_, err = env.Client.AppsV1().Deployments("meshprobe-system").Get(ctx, "meshprobe-webhook", metav1.GetOptions{})
	assert.NoError(t, err)
}

// The built-in renderer and kubectl agree on the e2e overlay (patches included).
func TestRenderE2EOverlay(t *testing.T) {
	objs, err := renderBuiltin("../../../../e2e/testdata/overlay")
	require.NoError(t, err)
	var found bool
	for _, o := range objs {
		if o.GetKind() != "Deployment" || o.GetName() != "meshprobe-webhook" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		env := containers[0].(map[string]any)["env"].([]any)
		names := map[string]bool{}
		for _, e := range env {
			names[e.(map[string]any)["name"].(string)] = true
		}
		assert.True(t, names["TE_API_URL"], "the patch added TE_API_URL")
		assert.True(t, names["POD_NAME"], "the patch kept the base env")
		found = true
	}
	assert.True(t, found)
	if _, err := exec.LookPath("kubectl"); err == nil {
		viaKubectl, err := Render(t.Context(), "../../../../e2e/testdata/overlay")
		require.NoError(t, err)
		assert.Len(t, objs, len(viaKubectl))
	}
}
