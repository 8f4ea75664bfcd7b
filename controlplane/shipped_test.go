package controlplane

import (
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

// TestShippedManifestsParse checks what the manifests tell this program
// against its own flag parser: the Deployment's arguments parse and agree with
// its container ports and certificate mount, the MutatingWebhookConfiguration
// calls webhookPath, and the built-in certificate overlay's arguments select
// that mode. (manifests/ and manifests/overlays test the manifests themselves.)
func TestShippedManifestsParse(t *testing.T) {
	var dep appsv1.Deployment
	require.NoError(t, yaml.UnmarshalStrict(splitManifest(t, "deployment.yaml")[0], &dep))
	require.Len(t, dep.Spec.Template.Spec.Containers, 1)
	c := dep.Spec.Template.Spec.Containers[0]
	o, err := parseOptions(c.Args, io.Discard)
	require.NoError(t, err, "the Deployment's arguments parse")
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, int(ports["webhook"]), o.webhookPort)
	assert.Equal(t, ":"+strconv.Itoa(int(ports["metrics"])), o.metricsAddr)
	assert.Equal(t, ":"+strconv.Itoa(int(ports["probes"])), o.probeAddr)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	assert.Equal(t, mounts["tls"], o.certDir, "--cert-dir is where the serving certificate is mounted")

	var mwc admissionregistrationv1.MutatingWebhookConfiguration
	decodeManifest(t, "mutatingwebhook.yaml", &mwc)
	require.NotEmpty(t, mwc.Webhooks)
	for _, w := range mwc.Webhooks {
		assert.Equal(t, webhookPath, *w.ClientConfig.Service.Path, w.Name)
	}

	t.Run("builtin-certs overlay", func(t *testing.T) {
		if _, err := exec.LookPath("kubectl"); err != nil {
			t.Skip("the overlay uses kustomize patches: install kubectl (kubectl kustomize) to render it")
		}
		objs, err := install.Render(t.Context(), filepath.Join("..", "manifests", "overlays", "builtin-certs"))
		require.NoError(t, err)
		var args []string
		for _, obj := range objs {
			if obj.GetKind() == "Deployment" && obj.GetName() == dep.Name {
				var d appsv1.Deployment
				require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &d))
				args = d.Spec.Template.Spec.Containers[0].Args
			}
		}
		o, err := parseOptions(args, io.Discard)
		require.NoError(t, err, "the overlay's arguments parse")
		assert.Equal(t, certsBuiltin, o.cp.trust.certsMode)
	})
}
