// Code below is frozen: the metadata and echo codec of meshprobe before explicit
// wire versions, copied from commit c560c2986c22fe3a123df98e9f94b80e7ac111d0
// (gossip/meta.go, meta_validate.go, keys.go, echo.go) with names prefixed v1 and
// Meta renamed v1Meta. Tests run it as a member of that release; never edit it.

package gossip

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// v1Meta is Meta as the v1 codec sees it.
type v1Meta Meta

const v1MetaVersion = 1

const v1MaxMetaKeys = 8

// Field tags of the encoding: tag byte, uvarint length, bytes.
const (
	v1TagPod byte = iota + 1
	v1TagNamespace
	v1TagNode
	v1TagOwnerKind
	v1TagOwnerName
	v1TagApp
	v1TagAppVersion
	v1TagAgent
	v1TagRole
	v1TagKeys
	v1TagTruncated
	v1TagLeaving
	v1TagZone
)

// v1FingerprintLen is the byte length of a key fingerprint on the wire.
const v1FingerprintLen = 6

// Encode returns the wire form of m, at most limit bytes. When the full form is
// longer, the least important strings (agent, app version, app, owner name, node,
// pod) are shortened, in that order, and Truncated is set; a shortened value
// keeps its grammar. Metadata that does not Validate is an error: peers would
// ignore it.
func (m v1Meta) Encode(limit int) ([]byte, error) {
	if len(m.Keys) > v1MaxMetaKeys {
		m.Keys = m.Keys[:v1MaxMetaKeys]
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("gossip: encoding metadata: %w", err)
	}
	keys, err := v1FingerprintBytes(m.Keys)
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
		*f = v1TrimToGrammar(*f, max(16, len(*f)-over))
	}
	out = m.encode(keys)
	if len(out) > limit {
		return nil, fmt.Errorf("gossip: encoding metadata: %d bytes do not fit the limit of %d", len(out), limit)
	}
	return out, nil
}

func (m v1Meta) encode(keys []byte) []byte {
	out := make([]byte, 0, 128)
	out = append(out, v1MetaVersion)
	for _, f := range []struct {
		tag byte
		val string
	}{
		{v1TagPod, m.Pod}, {v1TagNamespace, m.Namespace}, {v1TagNode, m.Node},
		{v1TagOwnerKind, m.OwnerKind}, {v1TagOwnerName, m.OwnerName}, {v1TagApp, m.App},
		{v1TagAppVersion, m.AppVersion}, {v1TagAgent, m.Agent}, {v1TagRole, m.Role},
		{v1TagKeys, string(keys)}, {v1TagZone, m.Zone},
	} {
		if f.val != "" {
			out = v1AppendField(out, f.tag, f.val)
		}
	}
	if m.Truncated {
		out = v1AppendField(out, v1TagTruncated, "\x01")
	}
	if m.Leaving {
		out = v1AppendField(out, v1TagLeaving, "\x01")
	}
	return out
}

func v1AppendField(out []byte, tag byte, val string) []byte {
	out = append(out, tag)
	out = binary.AppendUvarint(out, uint64(len(val)))
	return append(out, val...)
}

// v1DecodeMeta parses metadata written by Meta.Encode. Unknown fields are skipped;
// malformed input, and metadata that does not Validate (a member speaking for a
// pod that cannot exist), give an error, never a panic.
func v1DecodeMeta(b []byte) (v1Meta, error) {
	var m v1Meta
	if len(b) == 0 {
		return m, errors.New("gossip: decoding metadata: empty")
	}
	if b[0] != v1MetaVersion {
		return m, fmt.Errorf("gossip: decoding metadata: unknown version %d", b[0])
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
		return v1Meta{}, fmt.Errorf("gossip: decoding metadata: %w", err)
	}
	return m, nil
}

func (m *v1Meta) setField(tag byte, val []byte) error {
	s := string(val)
	switch tag {
	case v1TagPod:
		m.Pod = s
	case v1TagNamespace:
		m.Namespace = s
	case v1TagNode:
		m.Node = s
	case v1TagOwnerKind:
		m.OwnerKind = s
	case v1TagOwnerName:
		m.OwnerName = s
	case v1TagApp:
		m.App = s
	case v1TagAppVersion:
		m.AppVersion = s
	case v1TagAgent:
		m.Agent = s
	case v1TagRole:
		m.Role = s
	case v1TagKeys:
		if len(val)%v1FingerprintLen != 0 {
			return fmt.Errorf("key fingerprints: %d bytes is not a multiple of %d", len(val), v1FingerprintLen)
		}
		m.Keys = make([]string, 0, len(val)/v1FingerprintLen)
		for i := 0; i < len(val); i += v1FingerprintLen {
			m.Keys = append(m.Keys, fmt.Sprintf("%x", val[i:i+v1FingerprintLen]))
		}
	case v1TagTruncated:
		m.Truncated = len(val) == 1 && val[0] == 1
	case v1TagLeaving:
		m.Leaving = len(val) == 1 && val[0] == 1
	case v1TagZone:
		m.Zone = s
	}
	return nil
}

// v1AgentPattern is a version string: Go module versions included
// (v0.0.0-20250101000000-abcdef012345+dirty).
var v1AgentPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._+-]{0,126}[A-Za-z0-9])?$`)

// Validate checks every field against the grammar Kubernetes gives it, so what a
// member announces is safe to show and to use as a label value: the pod, node
// and owner names are DNS subdomains (at most 253 bytes), the namespace a DNS
// label, the zone, owner kind, app, app version and role label values (at most
// 63 bytes), the agent a version string, the key fingerprints 12 hex digits (at
// most 8). Every field may be empty. All of these grammars are ASCII, so valid
// metadata is valid UTF-8.
func (m v1Meta) Validate() error {
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
		{"agent", m.Agent, v1IsAgent},
		{"role", m.Role, validation.IsValidLabelValue},
	} {
		if f.val == "" {
			continue
		}
		if errs := f.check(f.val); len(errs) > 0 {
			return fmt.Errorf("%s %q: %s", f.name, f.val, strings.Join(errs, "; "))
		}
	}
	if len(m.Keys) > v1MaxMetaKeys {
		return fmt.Errorf("%d key fingerprints, at most %d", len(m.Keys), v1MaxMetaKeys)
	}
	_, err := v1FingerprintBytes(m.Keys)
	return err
}

func v1IsAgent(s string) []string {
	if !v1AgentPattern.MatchString(s) {
		return []string{"must be a version of at most 128 characters: alphanumerics, '.', '_', '+' or '-', starting and ending with an alphanumeric"}
	}
	return nil
}

// v1TrimToGrammar cuts s to at most n bytes and drops the separators the cut left
// at its end, so a shortened name or label value stays valid.
func v1TrimToGrammar(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimRight(s[:n], "-._+")
}
func v1FingerprintBytes(fps []string) ([]byte, error) {
	out := make([]byte, 0, len(fps)*v1FingerprintLen)
	for _, fp := range fps {
		b, err := hex.DecodeString(fp)
		if err != nil || len(b) != v1FingerprintLen {
			return nil, fmt.Errorf("key fingerprint %q: want %d hex characters", fp, 2*v1FingerprintLen)
		}
		out = append(out, b...)
	}
	return out, nil
}

const (
	v1EchoMagic    = 0xE7
	v1EchoRequest  = 1
	v1EchoResponse = 2
	v1EchoHeader   = 26
	v1EchoTagLen   = 16
	v1EchoLen      = v1EchoHeader + v1EchoTagLen
)

// v1IsEcho reports whether a UDP payload is an echo packet rather than memberlist's.
func v1IsEcho(b []byte) bool {
	return len(b) > 0 && b[0] == v1EchoMagic
}

// v1AppendEcho writes p, authenticated with key, to dst[:0] and returns it.
func v1AppendEcho(dst []byte, p echoPacket, key []byte) []byte {
	dst = append(dst[:0], v1EchoMagic, p.kind)
	dst = binary.BigEndian.AppendUint64(dst, p.seq)
	dst = binary.BigEndian.AppendUint64(dst, p.nonce)
	dst = binary.BigEndian.AppendUint64(dst, uint64(max(p.hold, 0)))
	mac := hmac.New(sha256.New, key)
	mac.Write(dst)
	return mac.Sum(dst)[:v1EchoLen]
}

// v1ParseEcho decodes and authenticates b against keys. It returns the key that
// verified the packet, or ok false when none did or b is malformed.
func v1ParseEcho(b []byte, keys [][]byte) (p echoPacket, key []byte, ok bool) {
	if len(b) != v1EchoLen || b[0] != v1EchoMagic {
		return p, nil, false
	}
	var sum [sha256.Size]byte
	for _, k := range keys {
		mac := hmac.New(sha256.New, k)
		mac.Write(b[:v1EchoHeader])
		if hmac.Equal(mac.Sum(sum[:0])[:v1EchoTagLen], b[v1EchoHeader:]) {
			p.kind = b[1]
			p.seq = binary.BigEndian.Uint64(b[2:10])
			p.nonce = binary.BigEndian.Uint64(b[10:18])
			p.hold = time.Duration(min(binary.BigEndian.Uint64(b[18:26]), math.MaxInt64))
			return p, k, true
		}
	}
	return p, nil, false
}
