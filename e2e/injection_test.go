//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Pods in a labelled namespace get the sidecar and run on both nodes; an opted-out
// pod and a pod in an unlabelled namespace are left alone.
func TestInjection(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	plain := newNamespace(t, false)
	deployApp(t, ns, appSpec{name: "web", replicas: 2, spread: true})
	optOut := bareAppPod("opted-out", map[string]string{contract.LabelInject: "false"})
	_, err := suite.client.CoreV1().Pods(ns).Create(ctx, optOut, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = suite.client.CoreV1().Pods(plain).Create(ctx, bareAppPod("plain", nil), metav1.CreateOptions{})
	require.NoError(t, err)

	pods := waitReadyPods(t, ns, "app=web", 2, 2*time.Minute)
	assert.NotEqual(t, pods[0].Spec.NodeName, pods[1].Spec.NodeName, "one web pod per node")
	for _, p := range pods {
		assert.True(t, hasSidecar(&p), "pod %s is injected", p.Name)
		assert.NotEmpty(t, p.Annotations[contract.AnnotationInjected], "pod %s has %s", p.Name, contract.AnnotationInjected)
		assert.Equal(t, "true", p.Labels[contract.LabelMember], "pod %s has %s", p.Name, contract.LabelMember)
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			assert.True(t, cs.Ready, "container %s of %s ready", cs.Name, p.Name)
		}
	}
	for _, np := range []struct{ ns, name string }{{ns, "opted-out"}, {plain, "plain"}} {
		p := waitReadyPods(t, np.ns, "app="+np.name, 1, time.Minute)[0]
		assert.False(t, hasSidecar(&p), "pod %s/%s must not be injected", np.ns, np.name)
		assert.Empty(t, p.Annotations[contract.AnnotationInjected])
	}
}

func bareAppPod(name string, labels map[string]string) *corev1.Pod {
	l := map[string]string{"app": name}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
		Spec:       appPodSpec(appSpec{name: name}, l),
	}
}
