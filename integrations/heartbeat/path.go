package heartbeat

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Paths of the heartbeat API. Each /healthz form has a /health twin that answers
// the same: k8s-heartbeat's README names its own health endpoint /health while its
// examples call /healthz, so monitors set up against it may use either.
const (
	// APIPrefix is the path prefix of the workload heartbeat endpoints.
	APIPrefix = "/api/healthz/"
	// APIPrefixAlias is APIPrefix's /health twin.
	APIPrefixAlias = "/api/health/"
	// OwnHealthPath is the server's own health endpoint.
	OwnHealthPath = "/healthz"
	// OwnHealthPathAlias is OwnHealthPath's /health twin.
	OwnHealthPathAlias = "/health"
)

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

// errNotHeartbeatPath is returned for paths outside APIPrefix and APIPrefixAlias.
var errNotHeartbeatPath = errors.New("heartbeat: path is not under " + APIPrefix + " or " + APIPrefixAlias)

// ParsePath parses a request path of the form
// /api/healthz/{namespace}/{deployment|statefulset|daemonset}/{name}, or the same
// under /api/health/. The namespace must be a DNS-1123 label and the name a
// DNS-1123 subdomain, as Kubernetes requires; anything else is an error that
// names the bad part.
func ParsePath(p string) (Target, error) {
	prefix, ok := apiPrefix(p)
	if !ok {
		return Target{}, errNotHeartbeatPath
	}
	parts := strings.Split(p[len(prefix):], "/")
	if len(parts) != 3 {
		return Target{}, fmt.Errorf("heartbeat: path %s: want %s{namespace}/{kind}/{name}", quote(p), prefix)
	}
	t := Target{Namespace: parts[0], Kind: parts[1], Name: parts[2]}
	switch t.Kind {
	case KindDeployment, KindStatefulSet, KindDaemonSet:
	default:
		return Target{}, fmt.Errorf("heartbeat: kind %s: want deployment, statefulset or daemonset", quote(t.Kind))
	}
	if errs := validation.IsDNS1123Label(t.Namespace); len(errs) > 0 {
		return Target{}, fmt.Errorf("heartbeat: namespace %s: %s", quote(t.Namespace), errs[0])
	}
	if errs := validation.IsDNS1123Subdomain(t.Name); len(errs) > 0 {
		return Target{}, fmt.Errorf("heartbeat: name %s: %s", quote(t.Name), errs[0])
	}
	return t, nil
}

// apiPrefix returns the heartbeat API prefix that p starts with.
func apiPrefix(p string) (string, bool) {
	for _, prefix := range []string{APIPrefix, APIPrefixAlias} {
		if strings.HasPrefix(p, prefix) {
			return prefix, true
		}
	}
	return "", false
}

// isAPIPath reports whether p is under one of the heartbeat API prefixes.
func isAPIPath(p string) bool {
	_, ok := apiPrefix(p)
	return ok
}

// isOwnHealthPath reports whether p asks for the server's own health.
func isOwnHealthPath(p string) bool { return p == OwnHealthPath || p == OwnHealthPathAlias }

// truncate keeps error messages about untrusted input short.
func truncate(s string) string { return truncateTo(s, 64) }

// maxQuoted bounds quote's result in bytes, before its "..." marker.
const maxQuoted = 66

// quote returns s as a Go-quoted string for an error message, cut to about
// maxQuoted bytes of quoted text. It cuts after quoting, at a whole escape, so
// input made of bytes that quote as \xff or \u2028 cannot make the message four
// or six times longer than the cut suggests.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		q := strconv.Quote(s[i : i+size])
		esc := q[1 : len(q)-1]
		if b.Len()+len(esc) > maxQuoted {
			b.WriteString(`"...`)
			return b.String()
		}
		b.WriteString(esc)
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// truncateTo keeps at most limit bytes of s, marking a cut with "...".
func truncateTo(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
