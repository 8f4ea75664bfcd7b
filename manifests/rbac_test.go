package manifests_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/gossipkeys"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// saUser is meshprobe's ServiceAccount, as the apiserver names it.
const saUser = "system:serviceaccount:" + contract.DefaultNamespace + ":meshprobe"

// Policy names, as in base/admissionpolicy.yaml and overlays/repair.
const (
	policySecrets    = "meshprobe-secrets"
	policyConfigMaps = "meshprobe-configmaps"
	policyWebhook    = "meshprobe-webhookconfig"
	policyRepair     = "meshprobe-repair"
	policyCCs        = "meshprobe-cluster-checks"
)

// TestLeastPrivilegeOnAPIServer installs the built-in certificate overlay (base
// RBAC and admission policies, plus the caBundle grant) on a real kube-apiserver,
// acts as meshprobe's ServiceAccount, and checks that what the control plane does
// is allowed and that each escalation it could try is refused, by RBAC or by the
// ValidatingAdmissionPolicy named. Then it adds the repair overlay.
func TestLeastPrivilegeOnAPIServer(t *testing.T) {
	objs := install.RenderForTest(t, filepath.Join(manifestsDir, "overlays", "builtin-certs"))
	// The controller manager type-checks the policies (their status).
	env := testenv.Start(t, testenv.WithControllerManager())
	require.NoError(t, install.Apply(t.Context(), env.Config, objs, install.Options{}))
	waitTypeChecked(t, env.Client, policySecrets, policyConfigMaps, policyWebhook, policyCCs)
	f := newPrivilegeFixture(t, env)
	waitEnforced(t, policySecrets, func() error { return f.createSecret(t, "shop", "enforced-probe", corev1.SecretTypeOpaque, true) })
	waitEnforced(t, policyConfigMaps, func() error { return f.patchConfigMap(t, "kube-system", "cluster-info-extra", true) })
	waitEnforced(t, policyWebhook, func() error { return f.updateWebhook(t, changeRules, true) })
	waitEnforced(t, policyCCs, func() error { return f.createConfigMapIn(t, contract.DefaultNamespace, "other", true) })
	// The probes above passed RBAC's cluster-wide grants; the Lease is the
	// namespaced Role's, which the authorizer caches apart.
	waitAuthorized(t, env.Client, authorizationv1.ResourceAttributes{Verb: "update", Group: "coordination.k8s.io",
		Resource: "leases", Namespace: contract.DefaultNamespace, Name: contract.LeaseName})

	t.Run("allowed", func(t *testing.T) { f.testAllowed(t) })
	t.Run("gossip-key task", func(t *testing.T) { f.testGossipKeyTask(t) })
	t.Run("cluster-checks task", func(t *testing.T) { f.testClusterChecksTask(t) })
	t.Run("denied", func(t *testing.T) { f.testDenied(t) })
	t.Run("repair overlay", func(t *testing.T) { f.testRepair(t) })
}

// renderWithRepair renders the built-in certificate overlay with the repair
// component, through a kustomization in a temp dir (kustomize takes relative
// paths only).
func renderWithRepair(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(manifestsDir)
	require.NoError(t, err)
	rel, err := filepath.Rel(dir, abs)
	require.NoError(t, err)
	k := "resources: [" + filepath.Join(rel, "overlays", "builtin-certs") + "]\ncomponents: [" + filepath.Join(rel, "overlays", "repair") + "]\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644))
	return install.RenderForTest(t, dir)
}

// waitTypeChecked waits until the apiserver has type-checked each policy and
// asserts it found nothing wrong with an expression.
func waitTypeChecked(t *testing.T, client kubernetes.Interface, names ...string) {
	t.Helper()
	for _, name := range names {
		var p *admissionregistrationv1.ValidatingAdmissionPolicy
		require.Eventually(t, func() bool {
			var err error
			p, err = client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(t.Context(), name, metav1.GetOptions{})
			require.NoError(t, err)
			return p.Status.ObservedGeneration == p.Generation && p.Status.TypeChecking != nil
		}, 30*time.Second, 50*time.Millisecond, "policy %s never type-checked", name)
		assert.Empty(t, p.Status.TypeChecking.ExpressionWarnings, "policy %s", name)
		for _, c := range p.Status.Conditions {
			assert.NotEqual(t, metav1.ConditionFalse, c.Status, "policy %s: %s %s", name, c.Type, c.Message)
		}
	}
}

// waitEnforced waits until the apiserver's admission chain has loaded policy
// (it does so asynchronously, from an informer): until probe, a dry-run request
// the policy refuses, is refused by it.
func waitEnforced(t *testing.T, policy string, probe func() error) {
	t.Helper()
	require.Eventually(t, func() bool { return deniedBy(probe(), policy) }, 30*time.Second, 50*time.Millisecond,
		"policy %s never enforced", policy)
}

// waitAuthorized waits until the apiserver's authorizer, which caches RBAC
// objects from informers, lets the ServiceAccount do what attrs says.
func waitAuthorized(t *testing.T, client kubernetes.Interface, attrs authorizationv1.ResourceAttributes) {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: saUser, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + contract.DefaultNamespace},
		ResourceAttributes: &attrs,
	}}
	require.Eventually(t, func() bool {
		got, err := client.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), sar, metav1.CreateOptions{})
		require.NoError(t, err)
		return got.Status.Allowed
	}, 30*time.Second, 50*time.Millisecond, "RBAC never allowed %+v", attrs)
}

// deniedBy reports whether err is the refusal of the ValidatingAdmissionPolicy policy.
func deniedBy(err error, policy string) bool {
	return err != nil && (apierrors.IsForbidden(err) || apierrors.IsInvalid(err)) &&
		strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+policy+"'")
}

// stubView is a gossip member view for the gossip-key task that never lets a
// rotation start: the task creates and copies the key, which is what is tested.
type stubView struct{}

func (stubView) Members() []gossip.Member { return nil }
func (stubView) Status() gossip.Status    { return gossip.Status{State: gossip.StatusStopped} }

// runGossipKeys runs the real gossip-key task as the ServiceAccount until the test ends.
func runGossipKeys(t *testing.T, sa kubernetes.Interface) {
	t.Helper()
	c, err := gossipkeys.New(gossipkeys.DefaultConfig(), sa, stubView{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); assert.NoError(t, <-done) })
}

// deployment is a minimal Deployment in ns, as an app would have.
func deployment(ns, name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
			},
		},
	}
}
