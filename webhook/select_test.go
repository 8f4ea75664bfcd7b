package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSelect(t *testing.T) {
	sidecar := corev1.Container{Name: "meshprobe-sidecar"}
	tests := []struct {
		name      string
		namespace string
		labels    map[string]string
		annots    map[string]string
		spec      corev1.PodSpec
		want      Reason
	}{
		{name: "plain pod in a labelled namespace", namespace: "shop", want: ReasonInjected},
		{name: "pod opt-in", namespace: "shop", labels: map[string]string{"meshprobe.io/inject": "true"}, want: ReasonInjected},
		{name: "pod opt-out wins", namespace: "shop", labels: map[string]string{"meshprobe.io/inject": "false"}, want: ReasonOptedOut},
		{name: "kube-system", namespace: "kube-system", labels: map[string]string{"meshprobe.io/inject": "true"}, want: ReasonExcludedNamespace},
		{name: "kube-public", namespace: "kube-public", want: ReasonExcludedNamespace},
		{name: "kube-node-lease", namespace: "kube-node-lease", want: ReasonExcludedNamespace},
		{name: "meshprobe's own namespace", namespace: "meshprobe-system", want: ReasonExcludedNamespace},
		{name: "host network", namespace: "shop", spec: corev1.PodSpec{HostNetwork: true}, want: ReasonHostNetwork},
		{name: "mirror pod", namespace: "shop", annots: map[string]string{"kubernetes.io/config.mirror": "abc"}, want: ReasonMirrorPod},
		{name: "sidecar as init container", namespace: "shop", spec: corev1.PodSpec{InitContainers: []corev1.Container{sidecar}}, want: ReasonAlreadyInjected},
		{name: "sidecar as plain container", namespace: "shop", spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, sidecar}}, want: ReasonAlreadyInjected},
		{name: "annotation alone is not injection", namespace: "shop", annots: map[string]string{"meshprobe.io/injected": "v1"}, want: ReasonInjected},
		{name: "excluded namespace beats opt-out", namespace: "kube-system", labels: map[string]string{"meshprobe.io/inject": "false"}, want: ReasonExcludedNamespace},
	}
	cfg := testConfig()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: tt.labels, Annotations: tt.annots}, Spec: tt.spec}
			assert.Equal(t, tt.want, Select(pod, tt.namespace, &cfg))
		})
	}
}

func TestSelectCustomExclusions(t *testing.T) {
	cfg := testConfig()
	cfg.ExcludedNamespaces = []string{"istio-system"}
	pod := &corev1.Pod{}
	assert.Equal(t, ReasonExcludedNamespace, Select(pod, "istio-system", &cfg))
	assert.Equal(t, ReasonInjected, Select(pod, "kube-system", &cfg), "exclusions come from the config only")
}
