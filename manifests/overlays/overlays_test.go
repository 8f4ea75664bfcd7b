// Package overlays_test renders the two install overlays (kubectl kustomize)
// and checks what tells them apart, and applies the built-in certificate
// overlay's RBAC to a real kube-apiserver.
package overlays_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshprobe/meshprobe/integrations/webhookcerts"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

func overlayObject(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func overlayDeployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	o := overlayObject(objs, "Deployment", "meshprobe-webhook")
	require.NotNil(t, o)
	var d appsv1.Deployment
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d))
	return &d
}

// builtinCertsVariable returns the expression of the Secret policy's
// builtinCerts variable, which lets the control plane write the serving
// certificate's Secret (manifests/base/admissionpolicy.yaml).
func builtinCertsVariable(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	o := overlayObject(objs, "ValidatingAdmissionPolicy", "meshprobe-secrets")
	require.NotNil(t, o)
	var p admissionregistrationv1.ValidatingAdmissionPolicy
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p))
	for _, v := range p.Spec.Variables {
		if v.Name == "builtinCerts" {
			return v.Expression
		}
	}
	t.Fatal("the Secret policy has no builtinCerts variable")
	return ""
}

// TestOverlays renders both overlays and checks what tells them apart.
func TestOverlays(t *testing.T) {
	t.Run("cert-manager", func(t *testing.T) {
		objs := install.RenderForTest(t, "cert-manager")
		require.NotNil(t, overlayObject(objs, "Certificate", "meshprobe-webhook"))
		mwc := overlayObject(objs, "MutatingWebhookConfiguration", contract.WebhookConfigName)
		require.NotNil(t, mwc)
		assert.Contains(t, mwc.GetAnnotations(), "cert-manager.io/inject-ca-from")
		assert.NotContains(t, overlayDeployment(t, objs).Spec.Template.Spec.Containers[0].Args, "--webhook-certs=builtin")
		assert.Equal(t, "false", builtinCertsVariable(t, objs), "cert-manager writes the serving certificate: the control plane may not")
	})
	t.Run("builtin-certs", func(t *testing.T) {
		objs := install.RenderForTest(t, "builtin-certs")
		for _, o := range objs {
			assert.NotEqual(t, "cert-manager.io", o.GroupVersionKind().Group, "no cert-manager object: %s %s", o.GetKind(), o.GetName())
		}
		mwc := overlayObject(objs, "MutatingWebhookConfiguration", contract.WebhookConfigName)
		require.NotNil(t, mwc)
		assert.NotContains(t, mwc.GetAnnotations(), "cert-manager.io/inject-ca-from", "no cainjector: the leader owns the caBundle")
		assert.Equal(t, "true", builtinCertsVariable(t, objs), "the leader writes meshprobe-webhook-tls")
		dep := overlayDeployment(t, objs)
		args := dep.Spec.Template.Spec.Containers[0].Args
		assert.Contains(t, args, "--webhook-certs=builtin")
		for _, v := range dep.Spec.Template.Spec.Volumes {
			if v.Name == "tls" {
				assert.Equal(t, contract.WebhookTLSSecretName, v.Secret.SecretName)
				var keys []string
				for _, it := range v.Secret.Items {
					keys = append(keys, it.Key)
				}
				assert.ElementsMatch(t, []string{webhookcerts.KeyTLSCert, webhookcerts.KeyTLSKey, webhookcerts.KeyCABundle}, keys, "the CA key is not mounted")
			}
		}
	})
}

// TestBuiltinCertsOverlayOnAPIServer applies the built-in overlay to a real
// kube-apiserver, without the base's own RBAC bindings, and runs the certificate
// task as the meshprobe ServiceAccount: the overlay's RBAC alone lets it create
// the Secret and fill the caBundle.
func TestBuiltinCertsOverlayOnAPIServer(t *testing.T) {
	objs := install.RenderForTest(t, "builtin-certs")
	env := testenv.Start(t)
	objs = slices.DeleteFunc(objs, func(o *unstructured.Unstructured) bool {
		return (o.GetKind() == "ClusterRoleBinding" || o.GetKind() == "RoleBinding") && o.GetName() == "meshprobe"
	})
	require.NoError(t, install.Apply(t.Context(), env.Config, objs, install.Options{}))

	sa := "system:serviceaccount:" + contract.DefaultNamespace + ":meshprobe"
	client := env.ClientFor(t, sa, "system:serviceaccounts", "system:serviceaccounts:"+contract.DefaultNamespace, "system:authenticated")
	cfg := webhookcerts.DefaultConfig()
	c, err := webhookcerts.New(cfg, client, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); assert.NoError(t, <-done) })

	require.Eventually(t, func() bool {
		wh, err := env.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), contract.WebhookConfigName, metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, w := range wh.Webhooks {
			if len(w.ClientConfig.CABundle) == 0 {
				return false
			}
		}
		return true
	}, 20*time.Second, 100*time.Millisecond, "the leader fills the caBundle of every webhook")
	s, err := env.Client.CoreV1().Secrets(contract.DefaultNamespace).Get(t.Context(), contract.WebhookTLSSecretName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEmpty(t, s.Data[webhookcerts.KeyTLSCert])

	_, err = client.CoreV1().Secrets("default").List(t.Context(), metav1.ListOptions{})
	assert.Error(t, err, "the ServiceAccount reads no other Secrets through this overlay's RBAC")
}
