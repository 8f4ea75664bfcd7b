package webhook

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Decision is what Inject decided for one pod.
type Decision struct {
	// Pod is the injected deep copy; nil when the pod is skipped.
	Pod *corev1.Pod
	// Reason is ReasonInjected or why the pod is skipped.
	Reason Reason
	// Warnings tell the user what injection did unasked (ports moved) or why a
	// pod that injection would have broken is skipped.
	Warnings []string
	// SettingsProblems are the problems of the pod's meshprobe.io/sidecar
	// annotation, each naming the field; the pod is injected with the cluster
	// defaults in their place (the handler denies it in strict mode).
	SettingsProblems []string
}

// Mutate is Inject without the warnings: the injected copy and ReasonInjected,
// or nil and the skip reason.
func Mutate(pod *corev1.Pod, namespace string, cfg *Config) (*corev1.Pod, Reason) {
	d := Inject(pod, namespace, cfg)
	return d.Pod, d.Reason
}

// Inject decides whether pod, in namespace, gets the sidecar and, when it does,
// returns an injected deep copy. It never modifies pod. namespace is passed
// beside the pod because a pod in a CREATE request may not have
// metadata.namespace set yet.
//
// Injection adds the sidecar container (a native sidecar init container when
// cfg.NativeSidecar, else a plain container) with the pod's meshprobe.io/sidecar
// settings over cfg.Sidecar, on ports free in the pod; the podinfo, gossip-key
// and no-token volumes; the meshprobe.io/injected annotation and the
// meshprobe.io/member label.
func Inject(pod *corev1.Pod, namespace string, cfg *Config) Decision {
	in, reason := plan(pod, namespace, cfg)
	if reason != ReasonInjected {
		d := Decision{Reason: reason}
		if slices.Contains(alwaysWarn, reason) || (OptedIn(pod) && reason != ReasonAlreadyInjected) {
			d.Warnings = []string{skipWarning(reason, in.detail)}
		}
		return d
	}
	out := pod.DeepCopy()
	sidecar := sidecarContainer(cfg, OwnerOf(pod), &in)
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
	d := Decision{Pod: out, Reason: ReasonInjected, SettingsProblems: in.problems}
	if w := in.ports.movedWarning(); w != "" {
		d.Warnings = append(d.Warnings, sanitizeWarning(w))
	}
	return d
}

// skipWarning is the admission warning of a skip.
func skipWarning(reason Reason, detail string) string {
	msg := "meshprobe: sidecar not injected: " + reason.Message()
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return sanitizeWarning(msg)
}

// upsertVolume replaces the volume named like v, or appends v. Select has made
// sure that a volume of the same name is exactly v (name-conflict otherwise).
func upsertVolume(vols []corev1.Volume, v corev1.Volume) []corev1.Volume {
	for i := range vols {
		if vols[i].Name == v.Name {
			vols[i] = v
			return vols
		}
	}
	return append(vols, v)
}
