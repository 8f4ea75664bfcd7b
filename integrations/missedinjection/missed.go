package missedinjection

import (
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

// Missed reports whether pod, in namespace ns, runs without the sidecar
// although injection selects it: the MutatingWebhookConfiguration would send it
// to the webhook (namespace opt-in, or pod opt-in) and the webhook's decision
// would inject it. Finished and terminating pods do not count.
func Missed(pod *corev1.Pod, ns *corev1.Namespace, cfg *webhook.Config) bool {
	if pod.DeletionTimestamp != nil || ns == nil || ns.DeletionTimestamp != nil {
		return false
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if !selected(pod, ns) {
		return false
	}
	return webhook.Select(pod, ns.Name, cfg) == webhook.ReasonInjected
}

// selected mirrors the webhook configuration's selectors: a namespace labelled
// meshprobe.io/inject=enabled, or a pod labelled meshprobe.io/inject: "true".
func selected(pod *corev1.Pod, ns *corev1.Namespace) bool {
	return enabled(ns) || webhook.OptedIn(pod)
}

func enabled(ns *corev1.Namespace) bool {
	return ns.Labels[contract.LabelInject] == contract.NamespaceInjectEnabled
}

// droppedAnnotations are large annotations the webhook's decision never reads.
var droppedAnnotations = []string{"kubectl.kubernetes.io/last-applied-configuration", contract.AnnotationChecks}

// trimPod keeps what Missed, the reports and the loop breaker read of a pod:
// identity and creation time, labels, annotations (less the large ones),
// owners, host network, container names and ports, meshprobe-named volumes,
// the operating system, node selector and required node affinity, restart
// policy and phase: everything the webhook's skip reasons (name-conflict,
// windows, run-to-completion, port-conflict) read.
// The cluster-wide pod cache then costs a fraction of full pods.
func trimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	ann := maps.Clone(p.Annotations)
	for _, k := range droppedAnnotations {
		delete(ann, k)
	}
	out := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion, CreationTimestamp: p.CreationTimestamp,
			Labels: p.Labels, Annotations: ann, OwnerReferences: p.OwnerReferences, DeletionTimestamp: p.DeletionTimestamp,
		},
		Spec: corev1.PodSpec{
			HostNetwork: p.Spec.HostNetwork, Containers: names(p.Spec.Containers), InitContainers: names(p.Spec.InitContainers),
			Volumes: ownNamedVolumes(p.Spec.Volumes), OS: p.Spec.OS, NodeSelector: p.Spec.NodeSelector,
			Affinity: nodeAffinity(p.Spec.Affinity), RestartPolicy: p.Spec.RestartPolicy,
		},
		Status: corev1.PodStatus{Phase: p.Status.Phase},
	}
	return out, nil
}

func names(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Ports: c.Ports}
	}
	return out
}

// ownNamedVolumes are the volumes named like meshprobe's (name-conflict).
func ownNamedVolumes(vols []corev1.Volume) []corev1.Volume {
	var out []corev1.Volume
	for _, v := range vols {
		if strings.HasPrefix(v.Name, "meshprobe-") {
			out = append(out, v)
		}
	}
	return out
}

// nodeAffinity keeps the node affinity of a (windows).
func nodeAffinity(a *corev1.Affinity) *corev1.Affinity {
	if a == nil || a.NodeAffinity == nil {
		return nil
	}
	return &corev1.Affinity{NodeAffinity: a.NodeAffinity}
}
