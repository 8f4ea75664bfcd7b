package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// MaxSidecarSettingsBytes caps the meshprobe.io/sidecar annotation; Kubernetes
// caps all of a pod's annotations together at 256 KiB.
const MaxSidecarSettingsBytes = 256 << 10

// SidecarSettings are the settings of one pod's sidecar, from its
// meshprobe.io/sidecar annotation (YAML or JSON), over the cluster-wide defaults
// of the webhook's --sidecar-defaults. Every field is optional.
type SidecarSettings struct {
	// Env is added to the sidecar's environment (Kubernetes EnvVar: value, or
	// valueFrom secretKeyRef, configMapKeyRef or fieldRef). Names that injection
	// sets itself are refused; the structured fields below set the sidecar's knobs.
	Env []corev1.EnvVar `json:"env,omitempty"`
	// EnvFrom adds every key of Secrets or ConfigMaps as env.
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`
	// VolumeMounts mount volumes of the pod itself, read-only, into the sidecar
	// (a Secret holding a check's password file, a CA bundle).
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`
	// Resources override the sidecar's requests and limits, per resource.
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// LogLevel is debug, info, warn or error (MESHPROBE_LOG_LEVEL).
	LogLevel string `json:"logLevel,omitempty"`
	// RTT tunes the echo prober.
	RTT RTTSettings `json:"rtt,omitzero"`
	// Ports are the sidecar's ports; unset, the webhook's defaults, moved off the
	// app's ports when they collide.
	Ports PortSettings `json:"ports,omitzero"`
}

// RTTSettings tune the sidecar's active RTT prober.
type RTTSettings struct {
	// Interval is the mean time between probe rounds; 0 turns the prober off
	// (MESHPROBE_RTT_INTERVAL, default 1s).
	Interval *spec.Duration `json:"interval,omitempty"`
	// Timeout is one probe's timeout (MESHPROBE_RTT_TIMEOUT, default 1s).
	Timeout *spec.Duration `json:"timeout,omitempty"`
	// Peers is how many peers a round probes (MESHPROBE_RTT_PEERS, default 3).
	Peers *int32 `json:"peers,omitempty"`
	// PeerPodLabels adds peer_pod to the RTT series (MESHPROBE_RTT_PEER_POD_LABELS).
	PeerPodLabels *bool `json:"peerPodLabels,omitempty"`
}

// PortSettings pin the sidecar's ports.
type PortSettings struct {
	// Gossip is the gossip port, TCP and UDP.
	Gossip *int32 `json:"gossip,omitempty"`
	// HTTP is the port of /metrics, /healthz, /readyz and /api/v1.
	HTTP *int32 `json:"http,omitempty"`
}

// SettingsError is one problem in a meshprobe.io/sidecar annotation (or in
// --sidecar-defaults), naming the field, like `field "env[0].name": required`.
type SettingsError struct {
	// Field is the dotted path of the field at fault; empty for the whole value.
	Field string
	// Problem says what is wrong.
	Problem string
}

func (e *SettingsError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Problem)
}

// ParseSidecarSettings decodes settings strictly: a field the settings do not
// have, at any depth, is an error, as are values of the wrong type. It does not
// validate the values (see SidecarSettings.validate). The error joins one
// *SettingsError per problem.
func ParseSidecarSettings(data []byte) (SidecarSettings, error) {
	var s SidecarSettings
	if len(data) > MaxSidecarSettingsBytes {
		return s, &SettingsError{Problem: fmt.Sprintf("annotation is %d bytes, over the limit of %d", len(data), MaxSidecarSettingsBytes)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return s, nil
	}
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
		return s, &SettingsError{Problem: "invalid YAML: " + strings.Join(strings.Fields(msg), " ")}
	}
	var generic any
	if err := json.Unmarshal(js, &generic); err != nil {
		return s, &SettingsError{Problem: "invalid JSON: " + err.Error()}
	}
	if generic == nil {
		return s, nil
	}
	if errs := unknownFields(generic, typeOfSettings, ""); len(errs) > 0 {
		return SidecarSettings{}, errors.Join(errs...)
	}
	if err := json.Unmarshal(js, &s); err != nil {
		return SidecarSettings{}, typeProblem(err)
	}
	return s, nil
}

// typeProblem words a json decoding error as a SettingsError naming the field.
func typeProblem(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &SettingsError{Field: te.Field, Problem: fmt.Sprintf("want %s, got a JSON %s", te.Type, te.Value)}
	}
	msg := err.Error()
	if field, problem, ok := strings.Cut(strings.TrimPrefix(msg, "json: "), ": "); ok && !strings.ContainsAny(field, " ") {
		return &SettingsError{Field: field, Problem: problem}
	}
	return &SettingsError{Problem: msg}
}
