package gossip

import (
	"errors"
	"fmt"
	"slices"
)

// Label values with a fixed meaning. Each starts with "_", which no Kubernetes
// name or label value can, so none of them can be a real namespace, zone, app,
// node or pod.
const (
	// PeerNamespaceOther is the peer_namespace of peers outside the member's own
	// namespace and its declared PeerNamespaces.
	PeerNamespaceOther = "_other"
	// ZoneUnknown is the peer_zone of a peer that announces no zone.
	ZoneUnknown = "_unknown"
	// LabelOverflow replaces a peer_zone beyond MaxPeerZones, and the detailed
	// labels of a peer beyond PeerLabelLimit.
	LabelOverflow = "_overflow"
	// LabelInvalid replaces a value announced by a peer that is not a Kubernetes
	// name or label value (see cleanValue).
	LabelInvalid = "_invalid"
)

// Detailed peer labels that Config.PeerLabels may add to the RTT and failure
// series; they are off by default.
const (
	PeerLabelApp  = "peer_app"
	PeerLabelNode = "peer_node"
	PeerLabelPod  = "peer_pod"
)

// Bounds of the label sets.
const (
	// MaxPeerNamespaces bounds Config.PeerNamespaces.
	MaxPeerNamespaces = 16
	// MaxPeerZones bounds the peer_zone values other than the member's own zone,
	// ZoneUnknown and LabelOverflow.
	MaxPeerZones = 8
	// DefaultPeerLabelLimit is the default Config.PeerLabelLimit.
	DefaultPeerLabelLimit = 64
	// maxLabelValueLen is the longest announced value kept: a DNS subdomain
	// (node and pod names).
	maxLabelValueLen = 253
)

// peerLabelNames returns the detailed labels in the order the series carry them.
func peerLabelNames() []string { return []string{PeerLabelApp, PeerLabelNode, PeerLabelPod} }

// baseLabelNames are the labels every RTT and failure series carries.
func baseLabelNames() []string {
	return []string{"peer_namespace", "same_node", "same_zone", "peer_zone"}
}

// labelSet is the bounded identity of a peer in the metrics.
type labelSet struct {
	namespace, sameNode, sameZone, zone string
	detail                              detailTuple
}

// detailTuple holds the detailed labels' values, indexed like peerLabelNames;
// disabled ones stay empty.
type detailTuple [3]string

// detailValues returns m's values of the detailed labels, indexed like peerLabelNames.
func detailValues(m Meta) detailTuple { return detailTuple{m.App, m.Node, m.Pod} }

// values returns the label values in the order of labeler.names; detail holds
// the indexes of the enabled detailed labels.
func (ls labelSet) values(detail []int) []string {
	out := []string{ls.namespace, ls.sameNode, ls.sameZone, ls.zone}
	for _, i := range detail {
		out = append(out, ls.detail[i])
	}
	return out
}

// labeler maps a peer's metadata to its bounded label set. The zones and
// detailed tuples it admits are first come, first served, up to their caps;
// retain forgets those no live peer has, which frees their places.
type labeler struct {
	selfNode, selfZone string
	namespaces         map[string]bool // the member's own and its declared ones
	detail             []int           // indexes in peerLabelNames of the enabled detailed labels
	limit              int

	zones  map[string]bool
	tuples map[detailTuple]bool
}

func newLabeler(cfg *Config) *labeler {
	l := &labeler{
		namespaces: map[string]bool{cleanValue(cfg.Meta.Namespace): true},
		limit:      cfg.PeerLabelLimit,
		zones:      make(map[string]bool),
		tuples:     make(map[detailTuple]bool),
	}
	l.setSelf(cfg.Meta)
	for _, ns := range cfg.PeerNamespaces {
		l.namespaces[ns] = true
	}
	for i, name := range peerLabelNames() {
		if slices.Contains(cfg.PeerLabels, name) {
			l.detail = append(l.detail, i)
		}
	}
	return l
}

// setSelf takes this member's node and zone from its metadata.
func (l *labeler) setSelf(m Meta) {
	l.selfNode, l.selfZone = cleanValue(m.Node), cleanValue(m.Zone)
}

// names returns the label names of the failure series (the RTT series add probe).
func (l *labeler) names() []string {
	out := baseLabelNames()
	for _, i := range l.detail {
		out = append(out, peerLabelNames()[i])
	}
	return out
}

// labels returns the label set of a peer with metadata m.
func (l *labeler) labels(m Meta) labelSet {
	node, zone := cleanValue(m.Node), cleanValue(m.Zone)
	ls := labelSet{namespace: PeerNamespaceOther, sameNode: "false", sameZone: "unknown", zone: l.admitZone(zone)}
	if ns := cleanValue(m.Namespace); l.namespaces[ns] {
		ls.namespace = ns
	}
	switch {
	case l.selfNode != "" && node == l.selfNode:
		ls.sameNode, ls.sameZone = "true", "true"
	case l.selfZone != "" && zone != "":
		ls.sameZone = fmt.Sprint(zone == l.selfZone)
	}
	if len(l.detail) > 0 {
		ls.detail = l.admitTuple(l.tuple(m))
	}
	return ls
}

func (l *labeler) admitZone(zone string) string {
	switch {
	case zone == "":
		return ZoneUnknown
	case zone == l.selfZone || l.zones[zone]:
		return zone
	case len(l.zones) >= MaxPeerZones:
		return LabelOverflow
	}
	l.zones[zone] = true
	return zone
}

// tuple returns m's values of the enabled detailed labels, cleaned.
func (l *labeler) tuple(m Meta) detailTuple {
	var t detailTuple
	all := detailValues(m)
	for _, i := range l.detail {
		t[i] = cleanValue(all[i])
	}
	return t
}

// overflowTuple is the tuple of the peers beyond the limit: LabelOverflow in
// every enabled detailed label.
func (l *labeler) overflowTuple() detailTuple {
	var t detailTuple
	for _, i := range l.detail {
		t[i] = LabelOverflow
	}
	return t
}

func (l *labeler) admitTuple(t detailTuple) detailTuple {
	if l.tuples[t] {
		return t
	}
	if len(l.tuples) >= l.limit {
		return l.overflowTuple()
	}
	l.tuples[t] = true
	return t
}

// retain forgets the admitted zones and tuples that no live label set has.
func (l *labeler) retain(live map[labelSet]bool) {
	zones := make(map[string]bool, len(l.zones))
	tuples := make(map[detailTuple]bool, len(l.tuples))
	for ls := range live {
		zones[ls.zone] = true
		tuples[ls.detail] = true
	}
	for z := range l.zones {
		if !zones[z] {
			delete(l.zones, z)
		}
	}
	for t := range l.tuples {
		if !tuples[t] {
			delete(l.tuples, t)
		}
	}
}

// cleanValue returns s when it can be a Kubernetes name or label value: at most
// 253 bytes of ASCII letters, digits, '-', '.' and '_', starting and ending with
// a letter or digit (or empty); anything else, which only a broken or hostile
// member announces, becomes LabelInvalid. So every label value is valid UTF-8,
// and no announced value can pose as one of the fixed values above.
func cleanValue(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > maxLabelValueLen || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return LabelInvalid
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '.' && c != '_' {
			return LabelInvalid
		}
	}
	return s
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validatePeerLabels checks the metrics fields of a Config.
func validatePeerLabels(c *Config) error {
	if len(c.PeerNamespaces) > MaxPeerNamespaces {
		return fmt.Errorf("gossip: config: PeerNamespaces lists %d namespaces, at most %d", len(c.PeerNamespaces), MaxPeerNamespaces)
	}
	for _, ns := range c.PeerNamespaces {
		if !isDNSLabel(ns) {
			return fmt.Errorf("gossip: config: PeerNamespaces: %q is not a namespace name", ns)
		}
	}
	for i, name := range c.PeerLabels {
		if !slices.Contains(peerLabelNames(), name) || slices.Contains(c.PeerLabels[:i], name) {
			return fmt.Errorf("gossip: config: PeerLabels: %q is not one of %v, or is listed twice", name, peerLabelNames())
		}
	}
	if len(c.PeerLabels) > 0 && c.PeerLabelLimit < 1 {
		return errors.New("gossip: config: PeerLabelLimit must be positive when PeerLabels are set")
	}
	return nil
}

// isDNSLabel reports whether s is an RFC 1123 label, as namespace names are.
func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
