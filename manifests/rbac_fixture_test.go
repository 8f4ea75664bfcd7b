package manifests_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// privilegeFixture is the cluster the least-privilege test acts on: an admin
// client that sets the scene and a client impersonating meshprobe's
// ServiceAccount.
type privilegeFixture struct {
	env   *testenv.Env
	admin kubernetes.Interface
	sa    kubernetes.Interface
}

// Namespaces of the fixture: shop has injection enabled (the gossip-key task
// copies the key there), manual gets Secrets written by hand as the
// ServiceAccount, other holds a user's own Secret named meshprobe-gossip-key.
const (
	nsShop   = "shop"
	nsManual = "manual"
	nsOther  = "other"
	teTests  = "te-tests"
)

func newPrivilegeFixture(t *testing.T, env *testenv.Env) *privilegeFixture {
	t.Helper()
	f := &privilegeFixture{env: env, admin: env.Client,
		sa: env.ClientFor(t, saUser, "system:serviceaccounts", "system:serviceaccounts:"+contract.DefaultNamespace, "system:authenticated")}
	ctx := t.Context()
	for _, ns := range []string{nsShop, nsManual, nsOther} {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		if ns == nsShop {
			n.Labels = map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}
		}
		_, err := f.admin.CoreV1().Namespaces().Create(ctx, n, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	cms := []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "cluster-info-extra"}, Data: map[string]string{"k": "v"}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: nsShop, Name: teTests, Labels: map[string]string{"app": "thousandeyes-tests"},
			Annotations: map[string]string{"team": "shop"}}, Data: map[string]string{"tests.yaml": "tests: []"}},
	}
	cms = append(cms, clusterCheckSources()...)
	for _, cm := range cms {
		_, err := f.admin.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	own := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: nsOther, Name: contract.GossipKeySecretName},
		StringData: map[string]string{"keys": "the user's own"}}
	_, err := f.admin.CoreV1().Secrets(nsOther).Create(ctx, own, metav1.CreateOptions{})
	require.NoError(t, err)
	other := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "other"}}
	_, err = f.admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, other, metav1.CreateOptions{})
	require.NoError(t, err)
	for _, d := range []struct{ ns, name string }{{nsShop, "web"}, {"kube-system", "coredns"}} {
		_, err := f.admin.AppsV1().Deployments(d.ns).Create(ctx, deployment(d.ns, d.name), metav1.CreateOptions{})
		require.NoError(t, err)
	}
	return f
}

func dryRun(on bool) []string {
	if on {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// createSecret creates a Secret as the ServiceAccount. A service-account-token
// Secret names the ServiceAccount "default", as an attacker's would name a
// privileged one.
func (f *privilegeFixture) createSecret(t *testing.T, ns, name string, typ corev1.SecretType, dry bool) error {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: typ,
		Data: map[string][]byte{"keys": []byte("k")}}
	switch typ {
	case corev1.SecretTypeServiceAccountToken:
		s.Annotations = map[string]string{corev1.ServiceAccountNameKey: "default"}
		s.Data = nil
	case corev1.SecretTypeTLS:
		s.Data = map[string][]byte{corev1.TLSCertKey: []byte("crt"), corev1.TLSPrivateKeyKey: []byte("key")}
	}
	if name == contract.GossipKeySecretName && ns != contract.DefaultNamespace {
		s.Labels = map[string]string{contract.LabelGossipKeyCopy: "true"}
	}
	_, err := f.sa.CoreV1().Secrets(ns).Create(t.Context(), s, metav1.CreateOptions{DryRun: dryRun(dry)})
	return err
}

// patchConfigMap writes the ThousandEyes sync's status annotation as the
// ServiceAccount, with the merge patch the sync sends.
func (f *privilegeFixture) patchConfigMap(t *testing.T, ns, name string, dry bool) error {
	return f.patchConfigMapWith(t, ns, name, map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		contract.AnnotationThousandEyesSync: `{"status":"Synced","tests":0,"unchanged":0,"time":"2026-01-01T00:00:00Z"}`}}}, dry)
}

func (f *privilegeFixture) patchConfigMapWith(t *testing.T, ns, name string, patch map[string]any, dry bool) error {
	data, err := json.Marshal(patch)
	require.NoError(t, err)
	_, err = f.sa.CoreV1().ConfigMaps(ns).Patch(t.Context(), name, types.MergePatchType, data,
		metav1.PatchOptions{FieldManager: "meshprobe-thousandeyes", DryRun: dryRun(dry)})
	return err
}

// updateWebhook reads meshprobe's webhook configuration as the ServiceAccount,
// changes it and writes it back, as the certificate task does.
func (f *privilegeFixture) updateWebhook(t *testing.T, change func(*admissionregistrationv1.MutatingWebhookConfiguration), dry bool) error {
	return f.updateWebhookNamed(t, contract.WebhookConfigName, change, dry)
}

func (f *privilegeFixture) updateWebhookNamed(t *testing.T, name string, change func(*admissionregistrationv1.MutatingWebhookConfiguration), dry bool) error {
	api := f.sa.AdmissionregistrationV1().MutatingWebhookConfigurations()
	cur, err := api.Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	change(cur)
	_, err = api.Update(t.Context(), cur, metav1.UpdateOptions{DryRun: dryRun(dry)})
	return err
}

// Changes to the webhook configuration: only setCABundle is meshprobe's.
func setCABundle(bundle []byte) func(*admissionregistrationv1.MutatingWebhookConfiguration) {
	return func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		for i := range c.Webhooks {
			c.Webhooks[i].ClientConfig.CABundle = bundle
		}
	}
}

func changeRules(c *admissionregistrationv1.MutatingWebhookConfiguration) {
	c.Webhooks[0].Rules[0].Resources = []string{"*"}
}

// webhookEscalations change every field of a webhook configuration but the
// caBundle, each in a way an attacker might.
var webhookEscalations = map[string]func(*admissionregistrationv1.MutatingWebhookConfiguration){
	"rules": changeRules,
	"URL": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		url := "https://attacker.example/mutate"
		c.Webhooks[1].ClientConfig.Service, c.Webhooks[1].ClientConfig.URL = nil, &url
	},
	"service": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].ClientConfig.Service.Namespace = "attacker"
	},
	"failurePolicy": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].FailurePolicy = new(admissionregistrationv1.Fail)
	},
	"matchPolicy": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].MatchPolicy = new(admissionregistrationv1.Exact)
	},
	"namespaceSelector": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[1].NamespaceSelector = &metav1.LabelSelector{}
	},
	"objectSelector": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[1].ObjectSelector = &metav1.LabelSelector{}
	},
	"sideEffects": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].SideEffects = new(admissionregistrationv1.SideEffectClassNoneOnDryRun)
	},
	"timeoutSeconds": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].TimeoutSeconds = new(int32(30))
	},
	"admissionReviewVersions": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].AdmissionReviewVersions = []string{"v1beta1", "v1"}
	},
	"reinvocationPolicy": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].ReinvocationPolicy = new(admissionregistrationv1.NeverReinvocationPolicy)
	},
	"matchConditions": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[0].MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "x", Expression: "true"}}
	},
	"dropped webhook": func(c *admissionregistrationv1.MutatingWebhookConfiguration) { c.Webhooks = c.Webhooks[:1] },
	"renamed webhook": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Webhooks[1].Name = "all.inject.attacker.example"
	},
	"annotation": func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
		c.Annotations = map[string]string{"cert-manager.io/inject-ca-from": "attacker/ca"}
	},
	"label": func(c *admissionregistrationv1.MutatingWebhookConfiguration) { c.Labels["x"] = "y" },
}

// patchWorkload sends a strategic merge patch to a Deployment or StatefulSet as
// the ServiceAccount.
func (f *privilegeFixture) patchWorkload(t *testing.T, kind, ns, name, patch string, dry bool) error {
	opts := metav1.PatchOptions{DryRun: dryRun(dry)}
	var err error
	if kind == contract.OwnerDeployment {
		_, err = f.sa.AppsV1().Deployments(ns).Patch(t.Context(), name, types.StrategicMergePatchType, []byte(patch), opts)
	} else {
		_, err = f.sa.AppsV1().StatefulSets(ns).Patch(t.Context(), name, types.StrategicMergePatchType, []byte(patch), opts)
	}
	return err
}
