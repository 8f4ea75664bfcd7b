package webhook

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// sidecarContainer builds the meshprobe-sidecar container for a pod owned by
// owner, with the settings and ports plan chose. As a native sidecar it is an
// init container with restartPolicy Always.
func sidecarContainer(cfg *Config, owner Owner, in *injection) corev1.Container {
	healthz := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: "/healthz", Port: intstr.FromString(contract.PortNameHTTP),
	}}
	c := corev1.Container{
		Name:            contract.SidecarContainerName,
		Image:           cfg.Image,
		ImagePullPolicy: cfg.ImagePullPolicy,
		Env:             sidecarEnv(cfg, owner, in),
		EnvFrom:         in.settings.EnvFrom,
		Ports: []corev1.ContainerPort{
			{Name: contract.PortNameGossipTCP, ContainerPort: in.ports.gossip, Protocol: corev1.ProtocolTCP},
			{Name: contract.PortNameGossipUDP, ContainerPort: in.ports.gossip, Protocol: corev1.ProtocolUDP},
			{Name: contract.PortNameHTTP, ContainerPort: in.ports.http, Protocol: corev1.ProtocolTCP},
		},
		Resources:    in.resources,
		VolumeMounts: sidecarMounts(in.settings.VolumeMounts),
		// The startup probe holds the app's containers (after a native sidecar)
		// until the sidecar serves, and keeps liveness off a slow start (60 s).
		StartupProbe: &corev1.Probe{ProbeHandler: healthz, PeriodSeconds: 1, TimeoutSeconds: 1, FailureThreshold: 60},
		// Liveness only: a readiness probe on the sidecar would take the app's pod
		// out of its Services whenever meshprobe is unhappy.
		LivenessProbe:            &corev1.Probe{ProbeHandler: healthz, PeriodSeconds: 20, TimeoutSeconds: 3, FailureThreshold: 3},
		SecurityContext:          sidecarSecurityContext(cfg.RunAsUser),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	if cfg.NativeSidecar {
		c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
	}
	return c
}

// sidecarMounts are meshprobe's own mounts, then the pod's volumes that the
// settings mount, always read-only.
func sidecarMounts(user []corev1.VolumeMount) []corev1.VolumeMount {
	mounts := []corev1.VolumeMount{
		{Name: contract.PodInfoVolumeName, MountPath: contract.DefaultPodInfoDir, ReadOnly: true},
		{Name: contract.GossipKeyVolumeName, MountPath: contract.DefaultGossipKeyDir, ReadOnly: true},
		{Name: contract.NoTokenVolumeName, MountPath: contract.ServiceAccountTokenDir, ReadOnly: true},
	}
	for _, m := range user {
		m.ReadOnly = true
		mounts = append(mounts, m)
	}
	return mounts
}

func sidecarSecurityContext(uid int64) *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot:             ptr.To(true),
		RunAsUser:                ptr.To(uid),
		RunAsGroup:               ptr.To(uid),
		ReadOnlyRootFilesystem:   ptr.To(true),
		AllowPrivilegeEscalation: ptr.To(false),
		Privileged:               ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func sidecarEnv(cfg *Config, owner Owner, in *injection) []corev1.EnvVar {
	env := []corev1.EnvVar{
		fieldEnv(contract.EnvPodName, "metadata.name"),
		fieldEnv(contract.EnvPodNamespace, "metadata.namespace"),
		fieldEnv(contract.EnvPodIP, "status.podIP"),
		fieldEnv(contract.EnvPodUID, "metadata.uid"),
		fieldEnv(contract.EnvNodeName, "spec.nodeName"),
	}
	if owner.Kind != contract.OwnerNone {
		env = append(env,
			corev1.EnvVar{Name: contract.EnvOwnerKind, Value: owner.Kind},
			corev1.EnvVar{Name: contract.EnvOwnerName, Value: owner.Name})
	}
	env = append(env,
		corev1.EnvVar{Name: contract.EnvGossipJoin, Value: cfg.GossipJoin},
		corev1.EnvVar{Name: contract.EnvGossipPort, Value: strconv.Itoa(int(in.ports.gossip))},
		corev1.EnvVar{Name: contract.EnvHTTPPort, Value: strconv.Itoa(int(in.ports.http))},
		corev1.EnvVar{Name: contract.EnvPodInfoDir, Value: contract.DefaultPodInfoDir},
		corev1.EnvVar{Name: contract.EnvGossipKeyDir, Value: contract.DefaultGossipKeyDir},
	)
	if _, ok := in.resources.Limits[corev1.ResourceMemory]; ok {
		env = append(env, corev1.EnvVar{Name: contract.EnvGoMemLimit, ValueFrom: &corev1.EnvVarSource{
			ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: contract.SidecarContainerName, Resource: "limits.memory", Divisor: oneByte.DeepCopy()},
		}})
	}
	env = append(env, knobEnv(&in.settings)...)
	return append(env, in.settings.Env...)
}

// knobEnv sets the sidecar env vars of the structured settings that are set.
func knobEnv(s *SidecarSettings) []corev1.EnvVar {
	var env []corev1.EnvVar
	add := func(name, value string) { env = append(env, corev1.EnvVar{Name: name, Value: value}) }
	if s.LogLevel != "" {
		add(contract.EnvLogLevel, s.LogLevel)
	}
	if s.RTT.Interval != nil {
		add(contract.EnvRTTInterval, s.RTT.Interval.String())
	}
	if s.RTT.Timeout != nil {
		add(contract.EnvRTTTimeout, s.RTT.Timeout.String())
	}
	if s.RTT.Peers != nil {
		add(contract.EnvRTTPeers, strconv.Itoa(int(*s.RTT.Peers)))
	}
	if s.RTT.PeerPodLabels != nil {
		add(contract.EnvRTTPeerPodLabels, strconv.FormatBool(*s.RTT.PeerPodLabels))
	}
	return env
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path},
	}}
}

// oneByte is the divisor of GOMEMLIMIT's resourceFieldRef: the limit in bytes.
var oneByte = resource.MustParse("1")

// noTokenSizeLimit caps the empty volume over the ServiceAccount token path; it
// is parsed once, not on every admission.
var noTokenSizeLimit = resource.MustParse("1Ki")

// sidecarVolumes are the podinfo Downward API volume (labels and annotations, kept
// current by the kubelet), the gossip-key Secret volume and an empty volume that
// keeps the app's ServiceAccount token out of the sidecar. The Secret is optional
// so the pod starts before the leader has created it; the sidecar waits for the file.
func sidecarVolumes() []corev1.Volume {
	return []corev1.Volume{
		{Name: contract.PodInfoVolumeName, VolumeSource: corev1.VolumeSource{
			DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: contract.PodInfoLabelsFile, FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}},
				{Path: contract.PodInfoAnnotationsFile, FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.annotations"}},
			}},
		}},
		{Name: contract.GossipKeyVolumeName, VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{
				SecretName:  contract.GossipKeySecretName,
				Optional:    ptr.To(true),
				DefaultMode: ptr.To(int32(0o444)),
				Items:       []corev1.KeyToPath{{Key: contract.GossipKeySecretKey, Path: contract.GossipKeySecretKey}},
			},
		}},
		{Name: contract.NoTokenVolumeName, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: ptr.To(noTokenSizeLimit.DeepCopy())},
		}},
	}
}
