package webhook

import (
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// mirrorPodAnnotation marks the API copy of a kubelet static pod.
const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// labelOS is the well-known node label of the node's operating system.
const labelOS = "kubernetes.io/os"

// Select returns ReasonInjected when pod, in namespace, should get the sidecar,
// otherwise the reason it is skipped. The apiserver has already applied the
// MutatingWebhookConfiguration's namespaceSelector and objectSelector (namespace
// opt-in or pod opt-in); Select enforces the rules that hold whatever those say,
// including those that keep injection from breaking the pod (names, operating
// system, run-to-completion pods, ports). It is what Inject decides, without
// building the injected pod.
func Select(pod *corev1.Pod, namespace string, cfg *Config) Reason {
	_, reason := plan(pod, namespace, cfg)
	return reason
}

// selectStatic applies the rules that need only the pod and cfg, in order.
func selectStatic(pod *corev1.Pod, namespace string, cfg *Config) Reason {
	switch {
	case slices.Contains(cfg.ExcludedNamespaces, namespace):
		return ReasonExcludedNamespace
	case pod.Labels[contract.LabelInject] == "false":
		return ReasonOptedOut
	case pod.Spec.HostNetwork:
		return ReasonHostNetwork
	case pod.Annotations[mirrorPodAnnotation] != "":
		return ReasonMirrorPod
	case hasSidecar(pod) && pod.Annotations[contract.AnnotationInjected] != "":
		return ReasonAlreadyInjected
	case hasSidecar(pod) || hasForeignVolume(pod):
		return ReasonNameConflict
	case windowsOnly(pod):
		return ReasonWindows
	case runsToCompletion(pod) && !cfg.NativeSidecar:
		return ReasonRunToCompletion
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

// hasForeignVolume reports a volume of the pod named like one of meshprobe's
// that is not exactly meshprobe's: injection would have to replace it.
func hasForeignVolume(pod *corev1.Pod) bool {
	ours := sidecarVolumes()
	for _, v := range pod.Spec.Volumes {
		i := slices.IndexFunc(ours, func(o corev1.Volume) bool { return o.Name == v.Name })
		if i >= 0 && !reflect.DeepEqual(ours[i], v) {
			return true
		}
	}
	return false
}

// windowsOnly reports a pod that can only run on Windows nodes: spec.os.name
// windows, a nodeSelector kubernetes.io/os: windows, or required node affinity
// whose every term allows only operating systems other than Linux.
func windowsOnly(pod *corev1.Pod) bool {
	if pod.Spec.OS != nil {
		return pod.Spec.OS.Name == corev1.Windows
	}
	if os, ok := pod.Spec.NodeSelector[labelOS]; ok {
		return os == string(corev1.Windows)
	}
	aff := pod.Spec.Affinity
	if aff == nil || aff.NodeAffinity == nil || aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	terms := aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	return len(terms) > 0 && !slices.ContainsFunc(terms, termAllowsLinux)
}

// termAllowsLinux reports whether a node selector term can match a Linux node.
func termAllowsLinux(term corev1.NodeSelectorTerm) bool {
	for _, req := range term.MatchExpressions {
		if req.Key != labelOS {
			continue
		}
		linux := slices.Contains(req.Values, string(corev1.Linux))
		switch req.Operator {
		case corev1.NodeSelectorOpIn:
			if !linux {
				return false
			}
		case corev1.NodeSelectorOpNotIn:
			if linux {
				return false
			}
		case corev1.NodeSelectorOpDoesNotExist:
			return false
		}
	}
	return true
}

// runsToCompletion reports a pod whose containers are meant to exit (Jobs and
// CronJobs, or any pod with restartPolicy Never or OnFailure): a sidecar that is
// a plain container would keep it running forever.
func runsToCompletion(pod *corev1.Pod) bool {
	return pod.Spec.RestartPolicy == corev1.RestartPolicyNever || pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure
}
