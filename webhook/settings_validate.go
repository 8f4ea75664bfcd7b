package webhook

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Bounds of the settings' values.
const (
	minSidecarPort = 1024 // the sidecar has no capabilities: no port below 1024
	maxRTTPeers    = 100
)

// logLevels are the values of logLevel (MESHPROBE_LOG_LEVEL).
var logLevels = []string{"debug", "info", "warn", "error"}

// sidecarKnobEnv maps the sidecar env vars that a structured setting sets to
// that setting: env may not set them itself.
var sidecarKnobEnv = map[string]string{
	contract.EnvLogLevel:         "logLevel",
	contract.EnvRTTInterval:      "rtt.interval",
	contract.EnvRTTTimeout:       "rtt.timeout",
	contract.EnvRTTPeers:         "rtt.peers",
	contract.EnvRTTPeerPodLabels: "rtt.peerPodLabels",
	contract.EnvGossipPort:       "ports.gossip",
	contract.EnvHTTPPort:         "ports.http",
}

// injectedEnv are the env vars injection always sets.
var injectedEnv = []string{
	contract.EnvPodName, contract.EnvPodNamespace, contract.EnvPodIP, contract.EnvPodUID, contract.EnvNodeName,
	contract.EnvOwnerKind, contract.EnvOwnerName, contract.EnvGossipJoin, contract.EnvPodInfoDir,
	contract.EnvGossipKeyDir, contract.EnvGoMemLimit,
}

// sidecarMountPaths are where injection mounts its own volumes.
var sidecarMountPaths = []string{contract.DefaultPodInfoDir, contract.DefaultGossipKeyDir, contract.ServiceAccountTokenDir}

// validate reports every problem of s for pod, each naming the field. A nil pod
// validates cluster-wide defaults, which may not mount volumes or pin ports.
func (s *SidecarSettings) validate(pod *corev1.Pod) []error {
	var errs []error
	for i, e := range s.Env {
		errs = append(errs, validateEnv(fmt.Sprintf("env[%d]", i), e)...)
	}
	for i, e := range s.EnvFrom {
		errs = append(errs, validateEnvFrom(fmt.Sprintf("envFrom[%d]", i), e)...)
	}
	if pod == nil && (len(s.VolumeMounts) > 0 || s.Ports != (PortSettings{})) {
		errs = append(errs, &SettingsError{Field: "volumeMounts", Problem: "volumeMounts and ports are per pod: set them in the pod's " + contract.AnnotationSidecar + " annotation"})
	}
	if pod != nil {
		errs = append(errs, validateMounts(s.VolumeMounts, pod)...)
	}
	if s.LogLevel != "" && !slices.Contains(logLevels, s.LogLevel) {
		errs = append(errs, &SettingsError{Field: "logLevel", Problem: fmt.Sprintf("unknown level %q: want %s", s.LogLevel, strings.Join(logLevels, ", "))})
	}
	errs = append(errs, s.RTT.validate()...)
	errs = append(errs, s.Ports.validate()...)
	if s.Resources != nil {
		for _, err := range validateResources(*s.Resources) {
			errs = append(errs, &SettingsError{Field: "resources", Problem: err.Error()})
		}
	}
	return errs
}

func validateEnv(field string, e corev1.EnvVar) []error {
	var errs []error
	bad := func(f, problem string) { errs = append(errs, &SettingsError{Field: field + f, Problem: problem}) }
	switch {
	case e.Name == "":
		bad(".name", "required")
	case len(validation.IsEnvVarName(e.Name)) > 0:
		bad(".name", fmt.Sprintf("invalid env var name %q: %s", e.Name, validation.IsEnvVarName(e.Name)[0]))
	case slices.Contains(injectedEnv, e.Name):
		bad(".name", fmt.Sprintf("%s is set by injection", e.Name))
	case sidecarKnobEnv[e.Name] != "":
		bad(".name", fmt.Sprintf("%s is set by injection: use the field %q", e.Name, sidecarKnobEnv[e.Name]))
	}
	if e.ValueFrom == nil {
		return errs
	}
	if e.Value != "" {
		bad("", "value and valueFrom are exclusive")
	}
	src := e.ValueFrom
	switch {
	case src.ResourceFieldRef != nil:
		bad(".valueFrom.resourceFieldRef", "not supported for the sidecar")
	case countSet(src.SecretKeyRef != nil, src.ConfigMapKeyRef != nil, src.FieldRef != nil, src.FileKeyRef != nil) != 1:
		bad(".valueFrom", "want exactly one of secretKeyRef, configMapKeyRef, fieldRef")
	case src.FileKeyRef != nil:
		bad(".valueFrom.fileKeyRef", "not supported for the sidecar")
	case src.SecretKeyRef != nil && (src.SecretKeyRef.Name == "" || src.SecretKeyRef.Key == ""):
		bad(".valueFrom.secretKeyRef", "name and key are required")
	case src.ConfigMapKeyRef != nil && (src.ConfigMapKeyRef.Name == "" || src.ConfigMapKeyRef.Key == ""):
		bad(".valueFrom.configMapKeyRef", "name and key are required")
	case src.FieldRef != nil && src.FieldRef.FieldPath == "":
		bad(".valueFrom.fieldRef.fieldPath", "required")
	}
	return errs
}

func validateEnvFrom(field string, e corev1.EnvFromSource) []error {
	var errs []error
	switch {
	case (e.SecretRef != nil) == (e.ConfigMapRef != nil):
		errs = append(errs, &SettingsError{Field: field, Problem: "want exactly one of secretRef, configMapRef"})
	case e.SecretRef != nil && e.SecretRef.Name == "":
		errs = append(errs, &SettingsError{Field: field + ".secretRef.name", Problem: "required"})
	case e.ConfigMapRef != nil && e.ConfigMapRef.Name == "":
		errs = append(errs, &SettingsError{Field: field + ".configMapRef.name", Problem: "required"})
	}
	if e.Prefix != "" && len(validation.IsEnvVarName(e.Prefix)) > 0 {
		errs = append(errs, &SettingsError{Field: field + ".prefix", Problem: fmt.Sprintf("invalid prefix %q: %s", e.Prefix, validation.IsEnvVarName(e.Prefix)[0])})
	}
	return errs
}

// validateMounts: each mount names a volume of the pod (not one of meshprobe's),
// read-only, at an absolute path apart from the sidecar's own mounts and the
// other mounts.
func validateMounts(mounts []corev1.VolumeMount, pod *corev1.Pod) []error {
	var errs []error
	seen := map[string]bool{}
	for i, m := range mounts {
		field := fmt.Sprintf("volumeMounts[%d]", i)
		bad := func(f, problem string) { errs = append(errs, &SettingsError{Field: field + f, Problem: problem}) }
		switch {
		case m.Name == "":
			bad(".name", "required")
		case strings.HasPrefix(m.Name, "meshprobe-"):
			bad(".name", fmt.Sprintf("%q is meshprobe's own volume", m.Name))
		case !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }):
			bad(".name", fmt.Sprintf("the pod has no volume %q", m.Name))
		}
		switch p := path.Clean(m.MountPath); {
		case !path.IsAbs(m.MountPath):
			bad(".mountPath", fmt.Sprintf("%q is not an absolute path", m.MountPath))
		case slices.ContainsFunc(sidecarMountPaths, func(own string) bool { return nested(p, own) }):
			bad(".mountPath", fmt.Sprintf("%s overlaps a mount of the sidecar's own (%s)", p, strings.Join(sidecarMountPaths, ", ")))
		case seen[p]:
			bad(".mountPath", fmt.Sprintf("%s is mounted twice", p))
		default:
			seen[p] = true
		}
		if m.MountPropagation != nil {
			bad(".mountPropagation", "not supported: the sidecar is unprivileged")
		}
		if m.RecursiveReadOnly != nil {
			bad(".recursiveReadOnly", "not supported")
		}
		if m.SubPath != "" && m.SubPathExpr != "" {
			bad(".subPathExpr", "subPath and subPathExpr are exclusive")
		}
	}
	return errs
}

// nested reports whether one of the clean paths a and b contains the other.
func nested(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/") || a == "/"
}

func (r RTTSettings) validate() []error {
	var errs []error
	if r.Interval != nil && r.Interval.D() < 0 {
		errs = append(errs, &SettingsError{Field: "rtt.interval", Problem: fmt.Sprintf("%s is negative (0 turns the prober off)", r.Interval)})
	}
	if r.Timeout != nil && r.Timeout.D() <= 0 {
		errs = append(errs, &SettingsError{Field: "rtt.timeout", Problem: fmt.Sprintf("%s must be positive", r.Timeout)})
	}
	if r.Peers != nil && (*r.Peers < 1 || *r.Peers > maxRTTPeers) {
		errs = append(errs, &SettingsError{Field: "rtt.peers", Problem: fmt.Sprintf("%d is out of range 1-%d", *r.Peers, maxRTTPeers)})
	}
	return errs
}

func (p PortSettings) validate() []error {
	var errs []error
	for _, f := range []struct {
		name string
		port *int32
	}{{"ports.gossip", p.Gossip}, {"ports.http", p.HTTP}} {
		if f.port != nil && (*f.port < minSidecarPort || *f.port > 65535) {
			errs = append(errs, &SettingsError{Field: f.name, Problem: fmt.Sprintf("%d is out of range %d-65535", *f.port, minSidecarPort)})
		}
	}
	if p.Gossip != nil && p.HTTP != nil && *p.Gossip == *p.HTTP {
		errs = append(errs, &SettingsError{Field: "ports", Problem: fmt.Sprintf("gossip and http are both %d", *p.Gossip)})
	}
	return errs
}

func countSet(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}
