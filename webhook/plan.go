package webhook

import (
	"errors"
	"maps"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// injection is what plan decided for a pod that gets the sidecar.
type injection struct {
	// settings are the cluster-wide defaults with the pod's own settings over
	// them (the defaults alone when the pod's annotation is invalid).
	settings SidecarSettings
	// resources are the sidecar's requests and limits, settings applied.
	resources corev1.ResourceRequirements
	ports     sidecarPorts
	// problems of the pod's meshprobe.io/sidecar annotation, each naming the field.
	problems []string
	// detail says more about a skip than its Reason (which ports collide).
	detail string
}

// plan applies Select's rules and, for a pod that gets the sidecar, works out
// its settings and ports.
func plan(pod *corev1.Pod, namespace string, cfg *Config) (injection, Reason) {
	var in injection
	if reason := selectStatic(pod, namespace, cfg); reason != ReasonInjected {
		return in, reason
	}
	own, problems := podSettings(pod)
	in.settings = cfg.Sidecar.overlay(own)
	in.resources = applyResources(cfg.Resources, in.settings.Resources)
	if errs := validateResources(in.resources); len(errs) > 0 && len(problems) == 0 {
		for _, err := range errs {
			problems = append(problems, (&SettingsError{Field: "resources", Problem: err.Error()}).Error())
		}
		in.settings = cfg.Sidecar.overlay(SidecarSettings{})
		in.resources = applyResources(cfg.Resources, in.settings.Resources)
	}
	in.problems = problems
	ports, reason, detail := choosePorts(pod, cfg, in.settings.Ports)
	in.ports, in.detail = ports, detail
	return in, reason
}

// podSettings decodes and validates the pod's meshprobe.io/sidecar annotation.
// With any problem it returns no settings and the problems.
func podSettings(pod *corev1.Pod) (SidecarSettings, []string) {
	data, ok := pod.Annotations[contract.AnnotationSidecar]
	if !ok {
		return SidecarSettings{}, nil
	}
	s, err := ParseSidecarSettings([]byte(data))
	var errs []error
	if err != nil {
		errs = unjoin(err)
	} else {
		errs = s.validate(pod)
	}
	if len(errs) == 0 {
		return s, nil
	}
	problems := make([]string, 0, len(errs))
	for _, e := range errs {
		problems = append(problems, e.Error())
	}
	return SidecarSettings{}, problems
}

// unjoin returns the errors that errors.Join put together, or err alone.
func unjoin(err error) []error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		return joined.Unwrap()
	}
	return []error{err}
}

// overlay returns d with every field that p sets taken from p: env by name
// (p's win), envFrom appended, resources per resource name, scalars replaced.
func (d SidecarSettings) overlay(p SidecarSettings) SidecarSettings {
	out := d
	out.Env = mergeEnv(d.Env, p.Env)
	out.EnvFrom = append(append([]corev1.EnvFromSource(nil), d.EnvFrom...), p.EnvFrom...)
	out.VolumeMounts = append(append([]corev1.VolumeMount(nil), d.VolumeMounts...), p.VolumeMounts...)
	if d.Resources != nil || p.Resources != nil {
		var base corev1.ResourceRequirements
		if d.Resources != nil {
			base = *d.Resources
		}
		merged := applyResources(base, p.Resources)
		out.Resources = &merged
	}
	out.LogLevel = firstSet(p.LogLevel, d.LogLevel)
	out.RTT = RTTSettings{
		Interval:      firstPtr(p.RTT.Interval, d.RTT.Interval),
		Timeout:       firstPtr(p.RTT.Timeout, d.RTT.Timeout),
		Peers:         firstPtr(p.RTT.Peers, d.RTT.Peers),
		PeerPodLabels: firstPtr(p.RTT.PeerPodLabels, d.RTT.PeerPodLabels),
	}
	out.Ports = PortSettings{Gossip: firstPtr(p.Ports.Gossip, d.Ports.Gossip), HTTP: firstPtr(p.Ports.HTTP, d.Ports.HTTP)}
	return out
}

// mergeEnv returns base's env with over's appended; a name in both takes over's
// value in base's place.
func mergeEnv(base, over []corev1.EnvVar) []corev1.EnvVar {
	out := make([]corev1.EnvVar, 0, len(base)+len(over))
	index := map[string]int{}
	for _, e := range append(append([]corev1.EnvVar(nil), base...), over...) {
		if i, ok := index[e.Name]; ok {
			out[i] = e
			continue
		}
		index[e.Name] = len(out)
		out = append(out, e)
	}
	return out
}

// applyResources returns base with each request and limit that over names
// replaced. It never modifies base.
func applyResources(base corev1.ResourceRequirements, over *corev1.ResourceRequirements) corev1.ResourceRequirements {
	out := *base.DeepCopy()
	if over == nil {
		return out
	}
	if len(over.Requests) > 0 && out.Requests == nil {
		out.Requests = corev1.ResourceList{}
	}
	if len(over.Limits) > 0 && out.Limits == nil {
		out.Limits = corev1.ResourceList{}
	}
	maps.Copy(out.Requests, over.DeepCopy().Requests)
	maps.Copy(out.Limits, over.DeepCopy().Limits)
	return out
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstPtr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}
