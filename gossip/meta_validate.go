package gossip

import (
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// agentPattern is a version string: Go module versions included
// (v0.0.0-20250101000000-abcdef012345+dirty).
var agentPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._+-]{0,126}[A-Za-z0-9])?$`)

// Validate checks every field against the grammar Kubernetes gives it, so what a
// member announces is safe to show and to use as a label value: the pod, node
// and owner names are DNS subdomains (at most 253 bytes), the namespace a DNS
// label, the zone, owner kind, app, app version and role label values (at most
// 63 bytes), the agent a version string, the key fingerprints 12 hex digits (at
// most 8). Every field may be empty. All of these grammars are ASCII, so valid
// metadata is valid UTF-8.
func (m Meta) Validate() error {
	for _, f := range []struct {
		name, val string
		check     func(string) []string
	}{
		{"pod", m.Pod, validation.IsDNS1123Subdomain},
		{"namespace", m.Namespace, validation.IsDNS1123Label},
		{"node", m.Node, validation.IsDNS1123Subdomain},
		{"zone", m.Zone, validation.IsValidLabelValue},
		{"owner kind", m.OwnerKind, validation.IsValidLabelValue},
		{"owner name", m.OwnerName, validation.IsDNS1123Subdomain},
		{"app", m.App, validation.IsValidLabelValue},
		{"app version", m.AppVersion, validation.IsValidLabelValue},
		{"agent", m.Agent, isAgent},
		{"role", m.Role, validation.IsValidLabelValue},
	} {
		if f.val == "" {
			continue
		}
		if errs := f.check(f.val); len(errs) > 0 {
			return fmt.Errorf("%s %q: %s", f.name, f.val, strings.Join(errs, "; "))
		}
	}
	if len(m.Keys) > maxMetaKeys {
		return fmt.Errorf("%d key fingerprints, at most %d", len(m.Keys), maxMetaKeys)
	}
	_, err := fingerprintBytes(m.Keys)
	return err
}

func isAgent(s string) []string {
	if !agentPattern.MatchString(s) {
		return []string{"must be a version of at most 128 characters: alphanumerics, '.', '_', '+' or '-', starting and ending with an alphanumeric"}
	}
	return nil
}

// trimToGrammar cuts s to at most n bytes and drops the separators the cut left
// at its end, so a shortened name or label value stays valid.
func trimToGrammar(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimRight(s[:n], "-._+")
}
