package manifests_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/meshprobe/meshprobe/integrations/clusterchecks"
	"github.com/meshprobe/meshprobe/integrations/gossipkeys"
	"github.com/meshprobe/meshprobe/integrations/meshview"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

// testAllowed: each write the control plane makes goes through.
func (f *privilegeFixture) testAllowed(t *testing.T) {
	ctx, key := t.Context(), contract.GossipKeySecretName
	t.Run("gossip-key Secret in a namespace", func(t *testing.T) {
		require.NoError(t, f.createSecret(t, nsManual, key, corev1.SecretTypeOpaque, false))
		s, err := f.sa.CoreV1().Secrets(nsManual).Get(ctx, key, metav1.GetOptions{})
		require.NoError(t, err)
		s.Data["keys"] = []byte("rotated")
		_, err = f.sa.CoreV1().Secrets(nsManual).Update(ctx, s, metav1.UpdateOptions{})
		require.NoError(t, err)
		require.NoError(t, f.sa.CoreV1().Secrets(nsManual).Delete(ctx, key, metav1.DeleteOptions{}))
	})
	t.Run("built-in serving certificate Secret", func(t *testing.T) {
		require.NoError(t, f.createSecret(t, contract.DefaultNamespace, contract.WebhookTLSSecretName, corev1.SecretTypeTLS, true))
	})
	t.Run("ThousandEyes status annotation", func(t *testing.T) {
		require.NoError(t, f.patchConfigMap(t, nsShop, teTests, false))
		cm, err := f.admin.CoreV1().ConfigMaps(nsShop).Get(ctx, teTests, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Contains(t, cm.Annotations[contract.AnnotationThousandEyesSync], "Synced")
		assert.Equal(t, "shop", cm.Annotations["team"], "the other annotations are kept")
	})
	t.Run("caBundle", func(t *testing.T) {
		require.NoError(t, f.updateWebhook(t, setCABundle(f.env.Config.CAData), false))
	})
	t.Run("leader Lease", func(t *testing.T) { f.testLease(t) })
	t.Run("cluster view reviews", func(t *testing.T) { f.testViewReviews(t) })
}

// testViewReviews asks the reviews the cluster view asks for a request: who
// holds this token, may this user get meshview.meshprobe.io.
func (f *privilegeFixture) testViewReviews(t *testing.T) {
	tr, err := f.sa.AuthenticationV1().TokenReviews().Create(t.Context(),
		&authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: "not-a-token"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	assert.False(t, tr.Status.Authenticated)
	sar, err := f.sa.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), &authzv1.SubjectAccessReview{
		Spec: authzv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authzv1.ResourceAttributes{
			Group: meshview.AuthGroup, Resource: meshview.AuthResource, Verb: meshview.AuthVerb}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	assert.False(t, sar.Status.Allowed, "alice is bound to nothing")
}

// testLease creates, reads and renews the leader Lease as client-go's election does.
func (f *privilegeFixture) testLease(t *testing.T) {
	ctx := t.Context()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: contract.DefaultNamespace, Name: contract.LeaseName},
		Client:     f.sa.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: "replica-0"},
	}
	rec := resourcelock.LeaderElectionRecord{HolderIdentity: "replica-0", LeaseDurationSeconds: 10,
		AcquireTime: metav1.Now(), RenewTime: metav1.Now()}
	require.NoError(t, lock.Create(ctx, rec))
	_, _, err := lock.Get(ctx)
	require.NoError(t, err)
	rec.RenewTime = metav1.NewTime(time.Now().Add(time.Second))
	require.NoError(t, lock.Update(ctx, rec))
}

// testGossipKeyTask runs the real gossip-key task as the ServiceAccount: it
// creates the source Secret, copies it into the enabled namespace and repairs a
// copy someone changed, through the policies.
func (f *privilegeFixture) testGossipKeyTask(t *testing.T) {
	runGossipKeys(t, f.sa)
	secrets := f.admin.CoreV1().Secrets(nsShop)
	var copied *corev1.Secret
	require.Eventually(t, func() bool {
		var err error
		copied, err = secrets.Get(t.Context(), contract.GossipKeySecretName, metav1.GetOptions{})
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "the task never copied the key into %s", nsShop)
	assert.Equal(t, corev1.SecretTypeOpaque, copied.Type)

	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, gossipkeys.AnnotationPrimary)
	_, err := secrets.Patch(t.Context(), copied.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		s, err := secrets.Get(t.Context(), contract.GossipKeySecretName, metav1.GetOptions{})
		return err == nil && s.Annotations[gossipkeys.AnnotationPrimary] != ""
	}, 30*time.Second, 50*time.Millisecond, "the task never updated the copy")
}

// refusal is one request the control plane must not get through, and who
// refuses it: a policy, or RBAC when by is empty.
type refusal struct {
	name string
	do   func(t *testing.T) error
	by   string
}

// testDenied: each escalation is refused, by the policy or by RBAC.
func (f *privilegeFixture) testDenied(t *testing.T) {
	key := contract.GossipKeySecretName
	secret := func(ns, name string, typ corev1.SecretType) func(*testing.T) error {
		return func(t *testing.T) error { return f.createSecret(t, ns, name, typ, false) }
	}
	cmPatch := func(ns string, patch map[string]any) func(*testing.T) error {
		return func(t *testing.T) error { return f.patchConfigMapWith(t, ns, teTests, patch, false) }
	}
	for _, r := range []refusal{
		{"service-account-token Secret in kube-system", secret("kube-system", "admin-token", corev1.SecretTypeServiceAccountToken), policySecrets},
		{"service-account-token Secret named like the key", secret(nsManual, key, corev1.SecretTypeServiceAccountToken), policySecrets},
		{"arbitrary-name Secret", secret(nsManual, "registry-credentials", corev1.SecretTypeOpaque), policySecrets},
		{"gossip-key Secret in kube-system", secret("kube-system", key, corev1.SecretTypeOpaque), policySecrets},
		{"serving certificate Secret outside meshprobe-system", secret(nsManual, contract.WebhookTLSSecretName, corev1.SecretTypeTLS), policySecrets},
		{"update of a user's own meshprobe-gossip-key", f.overwriteUsersSecret, policySecrets},
		{"delete of a user's own meshprobe-gossip-key", f.deleteUsersSecret, policySecrets},
		{"read another Secret", f.readSecret, ""},
		{"patch a kube-system ConfigMap", func(t *testing.T) error { return f.patchConfigMap(t, "kube-system", "cluster-info-extra", false) }, policyConfigMaps},
		{"change a ConfigMap's data", cmPatch(nsShop, map[string]any{"data": map[string]string{"tests.yaml": "evil"}}), policyConfigMaps},
		{"change a ConfigMap's labels", cmPatch(nsShop, map[string]any{"metadata": map[string]any{"labels": map[string]string{"app": "x"}}}), policyConfigMaps},
		{"change another annotation", cmPatch(nsShop, map[string]any{"metadata": map[string]any{"annotations": map[string]any{"team": nil}}}), policyConfigMaps},
		{"create a ConfigMap", f.createConfigMap, ""},
		{"create another ConfigMap in meshprobe-system", func(t *testing.T) error {
			return f.createConfigMapIn(t, contract.DefaultNamespace, "other", false)
		}, policyCCs},
		{"create the cluster-checks ConfigMap elsewhere", func(t *testing.T) error {
			return f.createConfigMapIn(t, nsShop, clusterchecks.ConfigMapName, false)
		}, ""},
		{"update another ConfigMap in meshprobe-system", f.updateSourceConfigMap, ""},
		{"change a cluster-checks ConfigMap's data elsewhere", func(t *testing.T) error {
			return f.patchConfigMapWith(t, nsShop, clusterchecks.ConfigMapName, map[string]any{"data": map[string]string{"checks.yaml": "evil"}}, false)
		}, policyConfigMaps},
		{"delete the cluster-checks ConfigMap", func(t *testing.T) error {
			return f.sa.CoreV1().ConfigMaps(contract.DefaultNamespace).Delete(t.Context(), clusterchecks.ConfigMapName, metav1.DeleteOptions{})
		}, ""},
		{"another webhook configuration", func(t *testing.T) error {
			return f.updateWebhookNamed(t, "other", setCABundle(f.env.Config.CAData), false)
		}, ""},
		{"restart a Deployment without the repair overlay", f.restart(contract.OwnerDeployment, nsShop, "web"), ""},
		{"another Lease", f.updateLease("other"), ""},
	} {
		t.Run(r.name, func(t *testing.T) { assertRefused(t, r.do(t), r.by) })
	}
	for name, change := range webhookEscalations {
		t.Run("webhook "+name, func(t *testing.T) { assertRefused(t, f.updateWebhook(t, change, false), policyWebhook) })
	}
}

// assertRefused checks that err refuses a request, by the policy named or, when
// policy is empty, by RBAC.
func assertRefused(t *testing.T, err error, policy string) {
	t.Helper()
	require.Error(t, err, "the request went through")
	if policy != "" {
		assert.True(t, deniedBy(err, policy), "want a refusal by %s, got %v", policy, err)
		return
	}
	assert.True(t, apierrors.IsForbidden(err), "want a refusal by RBAC, got %v", err)
	assert.NotContains(t, err.Error(), "ValidatingAdmissionPolicy", "RBAC alone refuses it")
}

func (f *privilegeFixture) overwriteUsersSecret(t *testing.T) error {
	s, err := f.sa.CoreV1().Secrets(nsOther).Get(t.Context(), contract.GossipKeySecretName, metav1.GetOptions{})
	require.NoError(t, err, "RBAC lets it read any Secret named meshprobe-gossip-key")
	s.Data["keys"] = []byte("overwritten")
	_, err = f.sa.CoreV1().Secrets(nsOther).Update(t.Context(), s, metav1.UpdateOptions{})
	return err
}

func (f *privilegeFixture) deleteUsersSecret(t *testing.T) error {
	return f.sa.CoreV1().Secrets(nsOther).Delete(t.Context(), contract.GossipKeySecretName, metav1.DeleteOptions{})
}

func (f *privilegeFixture) readSecret(t *testing.T) error {
	_, err := f.sa.CoreV1().Secrets(nsOther).Get(t.Context(), "default-token", metav1.GetOptions{})
	return err
}

func (f *privilegeFixture) createConfigMap(t *testing.T) error {
	return f.createConfigMapIn(t, nsShop, "x", false)
}

func (f *privilegeFixture) createConfigMapIn(t *testing.T, ns, name string, dry bool) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := f.sa.CoreV1().ConfigMaps(ns).Create(t.Context(), cm, metav1.CreateOptions{DryRun: dryRun(dry)})
	return err
}

func (f *privilegeFixture) updateLease(name string) func(*testing.T) error {
	return func(t *testing.T) error {
		l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: contract.DefaultNamespace, Name: name}}
		_, err := f.sa.CoordinationV1().Leases(contract.DefaultNamespace).Update(t.Context(), l, metav1.UpdateOptions{})
		return err
	}
}

// restartPatch is the missed-injection repair's rollout restart.
const restartPatch = `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}}}}}`

func (f *privilegeFixture) restart(kind, ns, name string) func(*testing.T) error {
	return f.workloadPatch(kind, ns, name, restartPatch)
}

func (f *privilegeFixture) workloadPatch(kind, ns, name, patch string) func(*testing.T) error {
	return func(t *testing.T) error { return f.patchWorkload(t, kind, ns, name, patch, false) }
}

// testRepair adds the repair overlay: the rollout restart goes through, and a
// patch that changes anything else is refused.
func (f *privilegeFixture) testRepair(t *testing.T) {
	require.NoError(t, installRepair(t, f))
	waitTypeChecked(t, f.admin, policyRepair)
	image := `{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"attacker.example/shell"}]}}}}`
	waitEnforced(t, policyRepair, func() error { return f.patchWorkload(t, contract.OwnerDeployment, nsShop, "web", image, true) })
	ss := statefulSet(nsShop, "db")
	_, err := f.admin.AppsV1().StatefulSets(nsShop).Create(t.Context(), ss, metav1.CreateOptions{})
	require.NoError(t, err)

	require.NoError(t, f.restart(contract.OwnerDeployment, nsShop, "web")(t))
	require.NoError(t, f.restart(contract.OwnerStatefulSet, nsShop, "db")(t))
	dep, err := f.admin.AppsV1().Deployments(nsShop).Get(t.Context(), "web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.NotEmpty(t, dep.Spec.Template.Annotations[contract.AnnotationRestartedAt])

	for _, r := range []refusal{
		{"image", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", image), policyRepair},
		{"image in kube-system", f.workloadPatch(contract.OwnerDeployment, "kube-system", "coredns", image), policyRepair},
		{"StatefulSet image", f.workloadPatch(contract.OwnerStatefulSet, nsShop, "db", image), policyRepair},
		{"ServiceAccount", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"template":{"spec":{"serviceAccountName":"admin"}}}}`), policyRepair},
		{"replicas", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"replicas":0}}`), policyRepair},
		{"StatefulSet replicas", f.workloadPatch(contract.OwnerStatefulSet, nsShop, "db", `{"spec":{"replicas":0}}`), policyRepair},
		{"template label", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"template":{"metadata":{"labels":{"x":"y"}}}}}`), policyRepair},
		{"another template annotation", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"template":{"metadata":{"annotations":{"meshprobe.io/inject":"false"}}}}}`), policyRepair},
		{"workload label", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"metadata":{"labels":{"x":"y"}}}`), policyRepair},
		{"paused", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"paused":true}}`), policyRepair},
		{"strategy", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}`), policyRepair},
		{"minReadySeconds", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"minReadySeconds":60}}`), policyRepair},
		{"progressDeadlineSeconds", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"progressDeadlineSeconds":1}}`), policyRepair},
		{"revisionHistoryLimit", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"spec":{"revisionHistoryLimit":0}}`), policyRepair},
		{"StatefulSet updateStrategy", f.workloadPatch(contract.OwnerStatefulSet, nsShop, "db", `{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}`), policyRepair},
		{"StatefulSet minReadySeconds", f.workloadPatch(contract.OwnerStatefulSet, nsShop, "db", `{"spec":{"minReadySeconds":600}}`), policyRepair},
		{"StatefulSet revisionHistoryLimit", f.workloadPatch(contract.OwnerStatefulSet, nsShop, "db", `{"spec":{"revisionHistoryLimit":0}}`), policyRepair},
		{"StatefulSet PVC retention", f.workloadPatch(contract.OwnerStatefulSet, nsShop, "db", `{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Delete"}}}`), policyRepair},
		{"StatefulSet ordinals", f.workloadPatch(contract.OwnerStatefulSet, nsShop, "db", `{"spec":{"ordinals":{"start":5}}}`), policyRepair},
		{"workload annotation", f.workloadPatch(contract.OwnerDeployment, nsShop, "web", `{"metadata":{"annotations":{"x":"y"}}}`), policyRepair},
		{"delete", func(t *testing.T) error {
			return f.sa.AppsV1().Deployments(nsShop).Delete(t.Context(), "web", metav1.DeleteOptions{})
		}, ""},
	} {
		t.Run(r.name, func(t *testing.T) { assertRefused(t, r.do(t), r.by) })
	}
}

// installRepair applies the built-in install with the repair component, and
// checks that the component turns the repair on.
func installRepair(t *testing.T, f *privilegeFixture) error {
	objs := renderWithRepair(t)
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			var d appsv1.Deployment
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d))
			assert.Contains(t, d.Spec.Template.Spec.Containers[0].Args, "--repair-missed=restart")
		}
	}
	return install.Apply(t.Context(), f.env.Config, objs, install.Options{})
}

func statefulSet(ns, name string) *appsv1.StatefulSet {
	d := deployment(ns, name)
	return &appsv1.StatefulSet{ObjectMeta: d.ObjectMeta,
		Spec: appsv1.StatefulSetSpec{Selector: d.Spec.Selector, Template: d.Spec.Template, ServiceName: name}}
}
