package heartbeat

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// APIPrefix is the path prefix of the workload heartbeat endpoints.
const APIPrefix = "/api/healthz/"

// Workload kinds as they appear in heartbeat paths and the kind metric label.
const (
	KindDeployment  = "deployment"
	KindStatefulSet = "statefulset"
	KindDaemonSet   = "daemonset"
	// kindUnknown labels requests whose path names no valid workload.
	kindUnknown = "unknown"
)

// Target names the workload that a heartbeat request asks about.
type Target struct {
	// Namespace of the workload.
	Namespace string
	// Kind is KindDeployment, KindStatefulSet or KindDaemonSet.
	Kind string
	// Name of the workload.
	Name string
}

// String returns "kind namespace/name".
func (t Target) String() string { return t.Kind + " " + t.Namespace + "/" + t.Name }

// errNotHeartbeatPath is returned for paths outside APIPrefix.
var errNotHeartbeatPath = errors.New("heartbeat: path is not under " + APIPrefix)

// ParsePath parses a request path of the form
// /api/healthz/{namespace}/{deployment|statefulset|daemonset}/{name}.
// The namespace must be a DNS-1123 label and the name a DNS-1123 subdomain, as
// Kubernetes requires; anything else is an error that names the bad part.
func ParsePath(p string) (Target, error) {
	rest, ok := strings.CutPrefix(p, APIPrefix)
	if !ok {
		return Target{}, errNotHeartbeatPath
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return Target{}, fmt.Errorf("heartbeat: path %q: want %s{namespace}/{kind}/{name}", truncate(p), APIPrefix)
	}
	t := Target{Namespace: parts[0], Kind: parts[1], Name: parts[2]}
	switch t.Kind {
	case KindDeployment, KindStatefulSet, KindDaemonSet:
	default:
		return Target{}, fmt.Errorf("heartbeat: kind %q: want deployment, statefulset or daemonset", truncate(t.Kind))
	}
	if errs := validation.IsDNS1123Label(t.Namespace); len(errs) > 0 {
		return Target{}, fmt.Errorf("heartbeat: namespace %q: %s", truncate(t.Namespace), errs[0])
	}
	if errs := validation.IsDNS1123Subdomain(t.Name); len(errs) > 0 {
		return Target{}, fmt.Errorf("heartbeat: name %q: %s", truncate(t.Name), errs[0])
	}
	return t, nil
}

// truncate keeps error messages about untrusted input short.
func truncate(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
