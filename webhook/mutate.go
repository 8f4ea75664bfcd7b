package webhook

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Mutate decides whether pod, in namespace, gets the sidecar. When it does, Mutate
// returns an injected deep copy and ReasonInjected; otherwise it returns nil and the
// skip reason. It never modifies pod. namespace is passed beside the pod because a
// pod in a CREATE request may not have metadata.namespace set yet.
//
// Injection adds the sidecar container (a native sidecar init container when
// cfg.NativeSidecar, else a plain container), the podinfo and gossip-key volumes,
// the meshprobe.io/injected annotation and the meshprobe.io/member label.
func Mutate(pod *corev1.Pod, namespace string, cfg *Config) (*corev1.Pod, Reason) {
	if reason := Select(pod, namespace, cfg); reason != ReasonInjected {
		return nil, reason
	}
	out := pod.DeepCopy()
	sidecar := sidecarContainer(cfg, OwnerOf(pod))
	if cfg.NativeSidecar {
		out.Spec.InitContainers = append(out.Spec.InitContainers, sidecar)
	} else {
		out.Spec.Containers = append(out.Spec.Containers, sidecar)
	}
	vols := sidecarVolumes()
	out.Spec.Volumes = slices.Grow(out.Spec.Volumes, len(vols)) // one allocation, not a doubling per volume
	for _, v := range vols {
		out.Spec.Volumes = upsertVolume(out.Spec.Volumes, v)
	}
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	out.Annotations[contract.AnnotationInjected] = cfg.Version
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	out.Labels[contract.LabelMember] = "true"
	return out, ReasonInjected
}

// upsertVolume replaces the volume named like v, or appends v.
func upsertVolume(vols []corev1.Volume, v corev1.Volume) []corev1.Volume {
	for i := range vols {
		if vols[i].Name == v.Name {
			vols[i] = v
			return vols
		}
	}
	return append(vols, v)
}
