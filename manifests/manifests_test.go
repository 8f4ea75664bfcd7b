// Package manifests_test checks the kustomize manifests under manifests/ (base,
// cert-manager and the default install): that each kustomization lists its
// files, that the objects agree with the names and rules in internal/contract
// and package webhook, and, on a real kube-apiserver, that every object applies
// and that the RBAC grants the control plane what it needs and nothing more;
// and, acting as the control plane's ServiceAccount, that its admission
// policies refuse each escalation and allow each write it makes (rbac_test.go).
// The overlays are tested in manifests/overlays, the monitoring manifests in
// manifests/monitoring, and the flags the Deployment passes in controlplane.
package manifests_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/integrations/meshview"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

// manifestsDir is this folder: every manifest file is under it.
const manifestsDir = "."

// manifestObject is one Kubernetes object and the file it came from.
type manifestObject struct {
	file string
	obj  *unstructured.Unstructured
	// namespace is the `namespace:` of the kustomization beside the file, which
	// applies to namespaced objects that name none.
	namespace string
}

// kustomizeNamespace returns the namespace the kustomization in dir sets, if any.
func kustomizeNamespace(dir string) string {
	var k struct {
		Namespace string `json:"namespace"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil || yaml.Unmarshal(data, &k) != nil {
		return ""
	}
	return k.Namespace
}

// readObjects decodes every YAML document with an apiVersion and kind in the
// .yaml files under dir, skipping kustomization.yaml files.
func readObjects(t testing.TB, dir string) []manifestObject {
	t.Helper()
	var out []manifestObject
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") || d.Name() == "kustomization.yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
			if m["apiVersion"] == nil || m["kind"] == nil {
				continue // not a Kubernetes object (e.g. a Prometheus scrape config)
			}
			out = append(out, manifestObject{file: path, obj: &unstructured.Unstructured{Object: m},
				namespace: kustomizeNamespace(filepath.Dir(path))})
		}
	})
	require.NoError(t, err)
	return out
}

// find returns the object of kind and name under dir, converted to T.
func find[T any](t testing.TB, objs []manifestObject, kind, name string) *T {
	t.Helper()
	for _, o := range objs {
		if o.obj.GetKind() == kind && o.obj.GetName() == name {
			out := new(T)
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.obj.Object, out, true),
				"%s %s in %s", kind, name, o.file)
			return out
		}
	}
	t.Fatalf("no %s %q in manifests", kind, name)
	return nil
}

// TestKustomizationsListEveryFile keeps the kustomizations in step with the files.
func TestKustomizationsListEveryFile(t *testing.T) {
	for _, dir := range []string{"base", "cert-manager", "agents", filepath.Join("overlays", "repair")} {
		t.Run(dir, func(t *testing.T) {
			var k struct {
				Resources []string `json:"resources"`
			}
			data, err := os.ReadFile(filepath.Join(manifestsDir, dir, "kustomization.yaml"))
			require.NoError(t, err)
			require.NoError(t, yaml.Unmarshal(data, &k))
			files, err := filepath.Glob(filepath.Join(manifestsDir, dir, "*.yaml"))
			require.NoError(t, err)
			var want []string
			for _, f := range files {
				if filepath.Base(f) != "kustomization.yaml" {
					want = append(want, filepath.Base(f))
				}
			}
			assert.ElementsMatch(t, want, k.Resources)
		})
	}
}

// TestManifestsMatchTheWebhook checks the manifests against the names and rules
// the code uses, with the Kubernetes and cert-manager Go types.
func TestManifestsMatchTheWebhook(t *testing.T) {
	objs := readObjects(t, manifestsDir)
	ns := contract.DefaultNamespace

	mwc := find[admissionregistrationv1.MutatingWebhookConfiguration](t, objs, "MutatingWebhookConfiguration", contract.WebhookConfigName)
	require.Len(t, mwc.Webhooks, 2)
	for _, w := range mwc.Webhooks {
		assert.Equal(t, admissionregistrationv1.Ignore, *w.FailurePolicy, w.Name)
		assert.LessOrEqual(t, *w.TimeoutSeconds, int32(5), w.Name)
		assert.Equal(t, admissionregistrationv1.IfNeededReinvocationPolicy, *w.ReinvocationPolicy, w.Name)
		assert.Equal(t, admissionregistrationv1.SideEffectClassNone, *w.SideEffects, w.Name)
		svc := w.ClientConfig.Service
		require.NotNil(t, svc)
		assert.Equal(t, contract.WebhookServiceName, svc.Name)
		assert.Equal(t, ns, svc.Namespace)
		require.Len(t, w.NamespaceSelector.MatchExpressions, 1, w.Name)
		assert.Equal(t, webhook.DefaultExcludedNamespaces(ns), w.NamespaceSelector.MatchExpressions[0].Values, w.Name)
	}
	assert.Equal(t, map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}, mwc.Webhooks[0].NamespaceSelector.MatchLabels)
	assert.Equal(t, map[string]string{contract.LabelInject: "true"}, mwc.Webhooks[1].ObjectSelector.MatchLabels)

	serving := find[cmapi.Certificate](t, objs, cmapi.CertificateKind, "meshprobe-webhook")
	assert.Equal(t, ns+"/"+serving.Name, mwc.Annotations["cert-manager.io/inject-ca-from"])
	assert.Equal(t, contract.WebhookTLSSecretName, serving.Spec.SecretName)
	assert.Contains(t, serving.Spec.DNSNames, contract.WebhookServiceName+"."+ns+".svc")
	caIssuer := find[cmapi.Issuer](t, objs, cmapi.IssuerKind, serving.Spec.IssuerRef.Name)
	require.NotNil(t, caIssuer.Spec.CA)
	caCert := find[cmapi.Certificate](t, objs, cmapi.CertificateKind, "meshprobe-ca")
	assert.True(t, caCert.Spec.IsCA)
	assert.Equal(t, caCert.Spec.SecretName, caIssuer.Spec.CA.SecretName)
	selfSigned := find[cmapi.Issuer](t, objs, cmapi.IssuerKind, caCert.Spec.IssuerRef.Name)
	assert.NotNil(t, selfSigned.Spec.SelfSigned)

	dep := find[appsv1.Deployment](t, objs, "Deployment", "meshprobe-webhook")
	checkDeployment(t, dep)
	var tlsSecret string
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == "tls" {
			tlsSecret = v.Secret.SecretName
		}
	}
	assert.Equal(t, serving.Spec.SecretName, tlsSecret, "the Deployment mounts the serving certificate's Secret")

	gossip := find[corev1.Service](t, objs, "Service", contract.GossipServiceName)
	assert.Equal(t, corev1.ClusterIPNone, gossip.Spec.ClusterIP)
	assert.True(t, gossip.Spec.PublishNotReadyAddresses)
	heartbeat := find[corev1.Service](t, objs, "Service", "meshprobe-heartbeat")
	assert.Equal(t, contract.RoleLeader, heartbeat.Spec.Selector[contract.LabelRole])
	find[corev1.Service](t, objs, "Service", contract.WebhookServiceName)
	checkView(t, objs)
}

// checkView: every replica serves the cluster view (no leader selector) on the
// port view, and the ClusterRole users are bound to grants what the server asks
// a SubjectAccessReview about.
func checkView(t *testing.T, objs []manifestObject) {
	t.Helper()
	view := find[corev1.Service](t, objs, "Service", "meshprobe-view")
	assert.Equal(t, map[string]string{"app.kubernetes.io/name": "meshprobe-webhook"}, view.Spec.Selector)
	require.Len(t, view.Spec.Ports, 1)
	assert.Equal(t, int32(80), view.Spec.Ports[0].Port)
	assert.Equal(t, "view", view.Spec.Ports[0].TargetPort.StrVal)
	role := find[rbacv1.ClusterRole](t, objs, "ClusterRole", meshview.ClusterRoleName)
	assert.Equal(t, []rbacv1.PolicyRule{{APIGroups: []string{meshview.AuthGroup}, Resources: []string{meshview.AuthResource},
		Verbs: []string{meshview.AuthVerb}}}, role.Rules)
	cp := find[rbacv1.ClusterRole](t, objs, "ClusterRole", "meshprobe")
	assert.Contains(t, cp.Rules, rbacv1.PolicyRule{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}})
	assert.Contains(t, cp.Rules, rbacv1.PolicyRule{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}})
}

func checkDeployment(t *testing.T, dep *appsv1.Deployment) {
	t.Helper()
	assert.Equal(t, int32(2), *dep.Spec.Replicas)
	require.Len(t, dep.Spec.Template.Spec.Containers, 1)
	c := dep.Spec.Template.Spec.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, map[string]int32{"webhook": 9443, "metrics": 8080, "probes": 8081, "heartbeat": 8082, "view": 8083, "gossip-tcp": 14100, "gossip-udp": 14100}, ports)
	// The arguments are checked against these ports and mounts by the control
	// plane's own flag parser: controlplane.TestShippedManifestsParse.
	sc := c.SecurityContext
	assert.True(t, *sc.ReadOnlyRootFilesystem)
	assert.False(t, *sc.AllowPrivilegeEscalation)
	assert.Equal(t, int64(65532), *sc.RunAsUser)
	assert.True(t, slices.Contains(sc.Capabilities.Drop, "ALL"))
	assert.NotNil(t, c.ReadinessProbe)
	assert.NotNil(t, c.LivenessProbe)
	assert.NotNil(t, dep.Spec.Template.Spec.Affinity.PodAntiAffinity)
}
