package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// One control plane for the package's subtests keeps the suite fast.
func TestControlPlane(t *testing.T) {
	env := testenv.Start(t)
	ctx := t.Context()

	t.Run("namespace round trip", func(t *testing.T) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "roundtrip", Labels: map[string]string{"a": "b"}}}
		_, err := env.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		require.NoError(t, err)
		got, err := env.Client.CoreV1().Namespaces().Get(ctx, "roundtrip", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "b", got.Labels["a"])
	})

	t.Run("kubeconfig file works", func(t *testing.T) {
		cfg, err := clientcmd.BuildConfigFromFlags("", env.KubeconfigPath)
		require.NoError(t, err)
		c, err := kubernetes.NewForConfig(cfg)
		require.NoError(t, err)
		_, err = c.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
		require.NoError(t, err)
	})

	t.Run("RBAC denies an unbound user and allows a bound one", func(t *testing.T) {
		alice := env.ClientFor(t, "alice", "dev-team")
		_, err := alice.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
		require.Error(t, err)
		assert.True(t, apierrors.IsForbidden(err), "want 403, got %v", err)

		// Not the built-in "view": it is aggregated by kube-controller-manager, which is not running.
		_, err = env.Client.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "configmap-reader"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = env.Client.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "dev-team-view"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "configmap-reader"},
			Subjects:   []rbacv1.Subject{{Kind: "Group", Name: "dev-team", APIGroup: "rbac.authorization.k8s.io"}},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, err := alice.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
			return err == nil
		}, 10e9, 50e6, "the RoleBinding should grant list on configmaps")
		// Still no write access through that role.
		_, err = alice.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
		assert.True(t, apierrors.IsForbidden(err), "want 403 on create, got %v", err)
	})

	t.Run("service accounts get signed tokens", func(t *testing.T) {
		_, err := env.Client.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}, metav1.CreateOptions{})
		require.NoError(t, err)
		tr, err := env.Client.CoreV1().ServiceAccounts("default").CreateToken(ctx, "probe", &authnv1.TokenRequest{}, metav1.CreateOptions{})
		require.NoError(t, err)
		assert.NotEmpty(t, tr.Status.Token)
	})
}
