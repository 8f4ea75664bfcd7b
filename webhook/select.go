package webhook

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// mirrorPodAnnotation marks the API copy of a kubelet static pod.
const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// Select returns ReasonInjected when pod, in namespace, should get the sidecar,
// otherwise the reason it is skipped. The apiserver has already applied the
// MutatingWebhookConfiguration's namespaceSelector and objectSelector (namespace
// opt-in or pod opt-in); Select enforces the rules that hold whatever those say.
func Select(pod *corev1.Pod, namespace string, cfg *Config) Reason {
	switch {
	case slices.Contains(cfg.ExcludedNamespaces, namespace):
		return ReasonExcludedNamespace
	case pod.Labels[contract.LabelInject] == "false":
		return ReasonOptedOut
	case pod.Spec.HostNetwork:
		return ReasonHostNetwork
	case pod.Annotations[mirrorPodAnnotation] != "":
		return ReasonMirrorPod
	case hasSidecar(pod):
		return ReasonAlreadyInjected
	}
	return ReasonInjected
}

// OptedIn reports whether the pod itself asks for injection with
// meshprobe.io/inject: "true". Skips of such pods get an admission warning.
func OptedIn(pod *corev1.Pod) bool {
	return pod.Labels[contract.LabelInject] == "true"
}

func hasSidecar(pod *corev1.Pod) bool {
	isSidecar := func(c corev1.Container) bool { return c.Name == contract.SidecarContainerName }
	return slices.ContainsFunc(pod.Spec.Containers, isSidecar) ||
		slices.ContainsFunc(pod.Spec.InitContainers, isSidecar)
}
