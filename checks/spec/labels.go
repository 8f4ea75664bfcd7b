package spec

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of displayName, description and labels. One meshprobe_check_info
// series per check carries the display name and every label, so these bound
// its size; the labels of all the checks of an annotation together have at most
// MaxLabels distinct names, so the metric family has at most MaxLabels+2 labels.
const (
	MaxDisplayNameBytes = 128
	MaxDescriptionBytes = 1024
	MaxLabels           = 8
	MaxLabelValueBytes  = 128
)

// labelNameRE is a user label name: a Prometheus label name in lower case.
var labelNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// reservedLabels are label names a user label may not take: those of
// meshprobe's metrics (so that a user label can be joined onto any of them
// without a clash) and those Prometheus and its operators attach at scrape
// time (which would rename ours to exported_*).
var reservedLabels = []string{
	"app", "check", "code", "container", "display_name", "endpoint", "instance", "job", "kind",
	"le", "namespace", "node", "pod", "probe", "quantile", "reason", "result", "same_node",
	"same_zone", "service", "state", "type", "version", "zone",
}

// ReservedLabel reports whether name is meshprobe's or Prometheus's own and so
// not available as a user label: one of reservedLabels, or starting with "__"
// (Prometheus's), "peer_" (meshprobe's gossip metrics) or "exported_".
func ReservedLabel(name string) bool {
	return slices.Contains(reservedLabels, name) || strings.HasPrefix(name, "__") ||
		strings.HasPrefix(name, "peer_") || strings.HasPrefix(name, "exported_")
}

// validateDescriptive checks displayName, description and labels.
func validateDescriptive(s *Check, p *problems) {
	switch {
	case len(s.DisplayName) > MaxDisplayNameBytes:
		p.add("displayName", "%d bytes, over the limit of %d", len(s.DisplayName), MaxDisplayNameBytes)
	case !printableLine(s.DisplayName):
		p.add("displayName", "want printable text on one line: no newlines, tabs or control characters")
	}
	switch {
	case len(s.Description) > MaxDescriptionBytes:
		p.add("description", "%d bytes, over the limit of %d", len(s.Description), MaxDescriptionBytes)
	case !utf8.ValidString(s.Description):
		p.add("description", "not valid UTF-8")
	}
	validLabels(p, s.Labels)
}

// printableLine reports whether s is valid UTF-8 of printable characters only.
func printableLine(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// validLabels checks the labels of one check.
func validLabels(p *problems, labels map[string]string) {
	if len(labels) > MaxLabels {
		p.add("labels", "%d labels, over the limit of %d", len(labels), MaxLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		switch v := labels[k]; {
		case !labelNameRE.MatchString(k):
			p.add("labels", "invalid label name %s: want 1-63 lower-case letters, digits and '_', not starting with a digit", quoteCut(k))
		case ReservedLabel(k):
			p.add("labels", "label name %q is reserved for meshprobe's or Prometheus's own labels: choose another, such as team or tier", k)
		case len(v) > MaxLabelValueBytes:
			p.add("labels."+k, "%d bytes, over the limit of %d", len(v), MaxLabelValueBytes)
		case !utf8.ValidString(v):
			p.add("labels."+k, "not valid UTF-8")
		}
	}
}

// labelUnion tracks the distinct label names of an annotation's checks.
type labelUnion map[string]bool

// add records the label names of a check and reports each one past MaxLabels.
// Names that are invalid on their own, and checks over MaxLabels, are reported
// by validLabels already and not counted.
func (u labelUnion) add(p *problems, labels map[string]string) {
	if len(labels) > MaxLabels {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if u[k] || !labelNameRE.MatchString(k) || ReservedLabel(k) {
			continue
		}
		if len(u) == MaxLabels {
			p.add("labels", "label name %q is one more than the %d distinct label names all the checks may use together (one metric, meshprobe_check_info, carries them all): reuse one of %s",
				k, MaxLabels, strings.Join(slices.Sorted(maps.Keys(u)), ", "))
			continue
		}
		u[k] = true
	}
}

// quoteCut quotes an untrusted string for an error message, cut to 64 bytes
// first (at a character boundary, marked with …) so the message stays short.
func quoteCut(s string) string {
	const limit = 64
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}
