package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSelect(t *testing.T) {
	sidecar := corev1.Container{Name: "meshprobe-sidecar"}
	injected := map[string]string{"meshprobe.io/injected": "v1"}
	windowsSelector := map[string]string{"kubernetes.io/os": "windows"}
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
		{name: "sidecar as init container", namespace: "shop", annots: injected, spec: corev1.PodSpec{InitContainers: []corev1.Container{sidecar}}, want: ReasonAlreadyInjected},
		{name: "sidecar as plain container", namespace: "shop", annots: injected, spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, sidecar}}, want: ReasonAlreadyInjected},
		{name: "foreign container named like the sidecar", namespace: "shop", spec: corev1.PodSpec{Containers: []corev1.Container{sidecar}}, want: ReasonNameConflict},
		{name: "foreign volume named like ours", namespace: "shop", spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "meshprobe-gossip-key"}}}, want: ReasonNameConflict},
		{name: "our own volume already there", namespace: "shop", spec: corev1.PodSpec{Volumes: sidecarVolumes()[:1]}, want: ReasonInjected},
		{name: "spec.os windows", namespace: "shop", spec: corev1.PodSpec{OS: &corev1.PodOS{Name: corev1.Windows}}, want: ReasonWindows},
		{name: "spec.os linux beats a selector", namespace: "shop", spec: corev1.PodSpec{OS: &corev1.PodOS{Name: corev1.Linux}, NodeSelector: windowsSelector}, want: ReasonInjected},
		{name: "windows node selector", namespace: "shop", spec: corev1.PodSpec{NodeSelector: windowsSelector}, want: ReasonWindows},
		{name: "linux node selector", namespace: "shop", spec: corev1.PodSpec{NodeSelector: map[string]string{"kubernetes.io/os": "linux"}}, want: ReasonInjected},
		{name: "required affinity windows only", namespace: "shop", spec: corev1.PodSpec{Affinity: osAffinity(corev1.NodeSelectorOpIn, "windows")}, want: ReasonWindows},
		{name: "required affinity not linux", namespace: "shop", spec: corev1.PodSpec{Affinity: osAffinity(corev1.NodeSelectorOpNotIn, "linux")}, want: ReasonWindows},
		{name: "required affinity either", namespace: "shop", spec: corev1.PodSpec{Affinity: osAffinity(corev1.NodeSelectorOpIn, "windows", "linux")}, want: ReasonInjected},
		{name: "required affinity on another key", namespace: "shop", spec: corev1.PodSpec{Affinity: affinity(corev1.NodeSelectorRequirement{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}})}, want: ReasonInjected},
		{name: "job pod with native sidecars", namespace: "shop", spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever}, want: ReasonInjected},
		{name: "app on the default ports", namespace: "shop", spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 14100}}}}}, want: ReasonInjected},
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

func affinity(reqs ...corev1.NodeSelectorRequirement) *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: reqs}},
		},
	}}
}

func osAffinity(op corev1.NodeSelectorOperator, values ...string) *corev1.Affinity {
	return affinity(corev1.NodeSelectorRequirement{Key: "kubernetes.io/os", Operator: op, Values: values})
}

func TestSelectRunToCompletionWithoutNativeSidecars(t *testing.T) {
	cfg := testConfig()
	cfg.NativeSidecar = false
	for policy, want := range map[corev1.RestartPolicy]Reason{
		corev1.RestartPolicyNever:     ReasonRunToCompletion,
		corev1.RestartPolicyOnFailure: ReasonRunToCompletion,
		corev1.RestartPolicyAlways:    ReasonInjected,
		"":                            ReasonInjected,
	} {
		pod := &corev1.Pod{Spec: corev1.PodSpec{RestartPolicy: policy}}
		assert.Equal(t, want, Select(pod, "shop", &cfg), "restartPolicy %q", policy)
	}
}
