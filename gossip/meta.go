package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MetaMaxSize is memberlist's limit on the encoded metadata of one member.
const MetaMaxSize = 512

// metaVersion is the first byte of encoded metadata: its major version.
// Decoders skip fields they do not know, so a new field is a new tag and needs
// no new version; metadata of another major version is refused
// (ErrUnsupportedVersion). See wireversion.go.
const metaVersion = 1

// maxMetaKeys bounds how many key fingerprints the metadata carries.
const maxMetaKeys = 8

// Meta is what a member tells the others about itself. It travels in memberlist's
// node metadata, encoded by Encode within MetaMaxSize bytes.
type Meta struct {
	// Pod, Namespace and Node identify the pod the member runs in.
	Pod       string `json:"pod,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Node      string `json:"node,omitempty"`
	// Zone is the node's topology.kubernetes.io/zone, empty when unknown.
	Zone string `json:"zone,omitempty"`
	// OwnerKind and OwnerName name the pod's workload (Deployment, StatefulSet,
	// DaemonSet), empty when it has none.
	OwnerKind string `json:"ownerKind,omitempty"`
	OwnerName string `json:"ownerName,omitempty"`
	// App and AppVersion are the pod's app and version labels.
	App        string `json:"app,omitempty"`
	AppVersion string `json:"appVersion,omitempty"`
	// Agent is the meshprobe version the member runs.
	Agent string `json:"agent,omitempty"`
	// Role is RoleSidecar, RoleAgent or RoleControlPlane. Members of every
	// release accept any label value here (Validate), so a new role needs no
	// new wire version.
	Role string `json:"role,omitempty"`
	// Keys are the fingerprints (see Fingerprint) of the gossip keys the member
	// holds, its primary key first. Set by the Mesh from its keyring.
	Keys []string `json:"keys,omitempty"`
	// Truncated is true when some fields were shortened to fit MetaMaxSize.
	Truncated bool `json:"truncated,omitempty"`
	// Leaving is announced just before a graceful leave, so that peers report
	// the member as left rather than dead.
	Leaving bool `json:"leaving,omitempty"`
}

// Roles a member can announce.
const (
	RoleSidecar      = "sidecar"
	RoleControlPlane = "control-plane"
	// RoleAgent is a node agent (the meshprobe-agent DaemonSet): the sidecar
	// binary in agent mode, in no application's pod.
	RoleAgent = "agent"
)

// Roles lists every role, in display order.
var Roles = []string{RoleSidecar, RoleAgent, RoleControlPlane}

// Field tags of the encoding: tag byte, uvarint length, bytes.
const (
	tagPod byte = iota + 1
	tagNamespace
	tagNode
	tagOwnerKind
	tagOwnerName
	tagApp
	tagAppVersion
	tagAgent
	tagRole
	tagKeys
	tagTruncated
	tagLeaving
	tagZone
)

// fingerprintLen is the byte length of a key fingerprint on the wire.
const fingerprintLen = 6

// Encode returns the wire form of m, at most limit bytes. When the full form is
// longer, the least important strings (agent, app version, app, owner name, node,
// pod) are shortened, in that order, and Truncated is set; a shortened value
// keeps its grammar. Metadata that does not Validate is an error: peers would
// ignore it.
func (m Meta) Encode(limit int) ([]byte, error) {
	if len(m.Keys) > maxMetaKeys {
		m.Keys = m.Keys[:maxMetaKeys]
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("gossip: encoding metadata: %w", err)
	}
	keys, err := fingerprintBytes(m.Keys)
	if err != nil {
		return nil, fmt.Errorf("gossip: encoding metadata: %w", err)
	}
	out := m.encode(keys)
	if len(out) <= limit {
		return out, nil
	}
	m.Truncated = true
	for _, f := range []*string{&m.Agent, &m.AppVersion, &m.App, &m.OwnerName, &m.Node, &m.Pod} {
		over := len(m.encode(keys)) - limit
		if over <= 0 {
			break
		}
		*f = trimToGrammar(*f, max(16, len(*f)-over))
	}
	out = m.encode(keys)
	if len(out) > limit {
		return nil, fmt.Errorf("gossip: encoding metadata: %d bytes do not fit the limit of %d", len(out), limit)
	}
	return out, nil
}

func (m Meta) encode(keys []byte) []byte {
	out := make([]byte, 0, 128)
	out = append(out, metaVersion)
	for _, f := range []struct {
		tag byte
		val string
	}{
		{tagPod, m.Pod}, {tagNamespace, m.Namespace}, {tagNode, m.Node},
		{tagOwnerKind, m.OwnerKind}, {tagOwnerName, m.OwnerName}, {tagApp, m.App},
		{tagAppVersion, m.AppVersion}, {tagAgent, m.Agent}, {tagRole, m.Role},
		{tagKeys, string(keys)}, {tagZone, m.Zone},
	} {
		if f.val != "" {
			out = appendField(out, f.tag, f.val)
		}
	}
	if m.Truncated {
		out = appendField(out, tagTruncated, "\x01")
	}
	if m.Leaving {
		out = appendField(out, tagLeaving, "\x01")
	}
	return out
}

func appendField(out []byte, tag byte, val string) []byte {
	out = append(out, tag)
	out = binary.AppendUvarint(out, uint64(len(val)))
	return append(out, val...)
}

// DecodeMeta parses metadata written by Meta.Encode, of this or an earlier
// release. Unknown fields are skipped; another major version gives an error
// wrapping ErrUnsupportedVersion; malformed input, and metadata that does not
// Validate (a member speaking for a pod that cannot exist), give an error, never
// a panic.
func DecodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) == 0 {
		return m, errors.New("gossip: decoding metadata: empty")
	}
	if b[0] != metaVersion {
		return m, fmt.Errorf("gossip: decoding metadata: unknown version %d: %w", b[0], ErrUnsupportedVersion)
	}
	b = b[1:]
	for len(b) > 0 {
		tag := b[0]
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)-1-k) {
			return m, fmt.Errorf("gossip: decoding metadata: field %d: bad length", tag)
		}
		val := b[1+k : 1+k+int(n)]
		b = b[1+k+int(n):]
		if err := m.setField(tag, val); err != nil {
			return m, fmt.Errorf("gossip: decoding metadata: %w", err)
		}
	}
	if err := m.Validate(); err != nil {
		return Meta{}, fmt.Errorf("gossip: decoding metadata: %w", err)
	}
	return m, nil
}

func (m *Meta) setField(tag byte, val []byte) error {
	s := string(val)
	switch tag {
	case tagPod:
		m.Pod = s
	case tagNamespace:
		m.Namespace = s
	case tagNode:
		m.Node = s
	case tagOwnerKind:
		m.OwnerKind = s
	case tagOwnerName:
		m.OwnerName = s
	case tagApp:
		m.App = s
	case tagAppVersion:
		m.AppVersion = s
	case tagAgent:
		m.Agent = s
	case tagRole:
		m.Role = s
	case tagKeys:
		if len(val)%fingerprintLen != 0 {
			return fmt.Errorf("key fingerprints: %d bytes is not a multiple of %d", len(val), fingerprintLen)
		}
		m.Keys = make([]string, 0, len(val)/fingerprintLen)
		for i := 0; i < len(val); i += fingerprintLen {
			m.Keys = append(m.Keys, fmt.Sprintf("%x", val[i:i+fingerprintLen]))
		}
	case tagTruncated:
		m.Truncated = len(val) == 1 && val[0] == 1
	case tagLeaving:
		m.Leaving = len(val) == 1 && val[0] == 1
	case tagZone:
		m.Zone = s
	}
	return nil
}
