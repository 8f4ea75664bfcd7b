package controlplane

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
)

const (
	cpNamespace = contract.DefaultNamespace
	cpSA        = "system:serviceaccount:" + cpNamespace + ":meshprobe"
	cpToken     = "failover-token"
)

// installControlPlaneRBAC creates the namespace, ServiceAccount and RBAC of
// manifests/base exactly as written.
func installControlPlaneRBAC(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	var ns corev1.Namespace
	decodeManifest(t, "namespace.yaml", &ns)
	_, err := client.CoreV1().Namespaces().Create(ctx, &ns, metav1.CreateOptions{})
	require.NoError(t, err)
	var sa corev1.ServiceAccount
	decodeManifest(t, "serviceaccount.yaml", &sa)
	_, err = client.CoreV1().ServiceAccounts(cpNamespace).Create(ctx, &sa, metav1.CreateOptions{})
	require.NoError(t, err)
	docs := splitManifest(t, "rbac.yaml")
	require.Len(t, docs, 5, "rbac.yaml: ClusterRole, ClusterRoleBinding, Role, RoleBinding, ClusterRole meshprobe-view")
	var cr, view rbacv1.ClusterRole
	var crb rbacv1.ClusterRoleBinding
	var role rbacv1.Role
	var rb rbacv1.RoleBinding
	for i, o := range []any{&cr, &crb, &role, &rb, &view} {
		require.NoError(t, yaml.UnmarshalStrict(docs[i], o))
	}
	rbac := client.RbacV1()
	for _, r := range []*rbacv1.ClusterRole{&cr, &view} {
		_, err = rbac.ClusterRoles().Create(ctx, r, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	_, err = rbac.ClusterRoleBindings().Create(ctx, &crb, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = rbac.Roles(cpNamespace).Create(ctx, &role, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = rbac.RoleBindings(cpNamespace).Create(ctx, &rb, metav1.CreateOptions{})
	require.NoError(t, err)
}

func decodeManifest(t *testing.T, file string, into any) {
	t.Helper()
	docs := splitManifest(t, file)
	require.Len(t, docs, 1, file)
	require.NoError(t, yaml.UnmarshalStrict(docs[0], into), file)
}

// splitManifest returns the YAML documents of manifests/base/<file> that hold an object.
func splitManifest(t *testing.T, file string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "manifests", "base", file))
	require.NoError(t, err)
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---\n")) {
		if bytes.Contains(d, []byte("kind:")) {
			docs = append(docs, d)
		}
	}
	return docs
}

// impersonatingKubeconfig writes a copy of the admin kubeconfig that acts as user.
func impersonatingKubeconfig(t *testing.T, admin, user string, groups ...string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(admin)
	require.NoError(t, err)
	for _, ai := range cfg.AuthInfos {
		ai.Impersonate, ai.ImpersonateGroups = user, groups
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// writeGossipKey writes one key to the key file the replicas read (a kubelet
// would mount it from the Secret) and to the source Secret.
func writeGossipKey(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	line := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, contract.GossipKeySecretKey), line, 0o600))
	_, err = client.CoreV1().Secrets(cpNamespace).Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: contract.GossipKeySecretName},
		Data:       map[string][]byte{contract.GossipKeySecretKey: line},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return dir
}

// seedHealthyDeployment writes a Deployment with an Available status (no
// controllers run here), for the heartbeat to answer 200 about.
func seedHealthyDeployment(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	d, err := client.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	d.Status = appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}}
	_, err = client.AppsV1().Deployments("shop").UpdateStatus(ctx, d, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// createControlPlanePod stands in for a replica's pod (there is no kubelet), with
// the labels of manifests/base/deployment.yaml's pod template.
func createControlPlanePod(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	var dep appsv1.Deployment
	require.NoError(t, yaml.UnmarshalStrict(splitManifest(t, "deployment.yaml")[0], &dep))
	require.Equal(t, "Deployment", dep.Kind)
	labels := dep.Spec.Template.Labels
	labels[appsv1.DefaultDeploymentUniqueLabelKey] = "5d8f7c9b4"
	_, err := client.CoreV1().Pods(cpNamespace).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{ServiceAccountName: "meshprobe", AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: dep.Spec.Template.Spec.SecurityContext,
			Containers: []corev1.Container{{Name: "meshprobe-webhook", Image: "meshprobe-webhook",
				SecurityContext: dep.Spec.Template.Spec.Containers[0].SecurityContext}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}
