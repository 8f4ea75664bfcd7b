package controlplane_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

func TestStartReportsWhyTheAPIServerDied(t *testing.T) {
	assets := testenv.Assets(t)
	_, err := controlplane.Start(t.Context(), controlplane.Config{
		BinDir:             assets,
		Dir:                t.TempDir(),
		ExtraAPIServerArgs: []string{"--no-such-flag=1"},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kube-apiserver exited before it was ready")
	assert.Contains(t, err.Error(), "unknown flag: --no-such-flag", "the error carries the apiserver's own last log lines")
}

func TestStartChecksBinaries(t *testing.T) {
	_, err := controlplane.Start(t.Context(), controlplane.Config{BinDir: t.TempDir(), Dir: t.TempDir()})
	require.ErrorContains(t, err, "etcd not found in")
	_, err = controlplane.Start(t.Context(), controlplane.Config{Dir: t.TempDir()})
	require.ErrorContains(t, err, "KUBEBUILDER_ASSETS")
}

// With the controller-manager and scheduler a Deployment's pods get created and
// bound to a registered Node, and the Node gets a podCIDR.
func TestControllerManagerAndScheduler(t *testing.T) {
	env := testenv.Start(t, testenv.WithControllerManager(), testenv.WithScheduler())
	ctx := t.Context()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node-a"},
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")},
			Allocatable: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")},
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "Test", LastHeartbeatTime: metav1.Now()}},
		},
	}
	_, err := env.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	require.NoError(t, err)
	// The controller-manager writes the new Node too (podCIDR, taints): retry on conflict.
	err = retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		current, err := env.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		current.Status = node.Status
		_, err = env.Client.CoreV1().Nodes().UpdateStatus(ctx, current, metav1.UpdateOptions{})
		return err
	})
	require.NoError(t, err)

	labels := map[string]string{"app": "web"}
	_, err = env.Client.AppsV1().Deployments("default").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example/app"}}},
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		pods, err := env.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		require.NoError(c, err)
		require.Len(c, pods.Items, 2)
		for _, p := range pods.Items {
			assert.Equal(c, "node-a", p.Spec.NodeName, "pod %s bound", p.Name)
		}
	}, 60*time.Second, 200*time.Millisecond)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		n, err := env.Client.CoreV1().Nodes().Get(ctx, "node-a", metav1.GetOptions{})
		require.NoError(c, err)
		assert.NotEmpty(c, n.Spec.PodCIDR)
	}, 30*time.Second, 200*time.Millisecond)
}
