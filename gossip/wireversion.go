package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Wire formats and their versions (README "Wire formats and versions").
//
// Member metadata starts with its major version (metaVersion, 1). Fields are
// tag-length-value; a decoder skips tags it does not know, so a new field is a
// new tag and needs no new version. A change that an older decoder would
// misread (a known tag with another meaning or grammar, another framing) takes
// the next major version, which older members refuse.
//
// An echo packet's first byte is its format: echoFormatBase plus its version,
// 0xE7 for version 1, the only one so far; 0xE8 to 0xEF are kept for versions 2
// to 9, so that the Transport still tells them from memberlist's packets. A
// version-1 packet may carry fields after its 26-byte header that a decoder
// does not know: the HMAC tag is always the last 16 bytes and covers them.
//
// A member refuses only what it cannot read, a major version other than its
// own, and counts it in meshprobe_gossip_unsupported_version_total{format}
// (digests also in meshprobe_gossip_digests_refused_total{reason="version"}).

// ErrUnsupportedVersion is wrapped by the errors of data in a format version
// this member cannot read.
var ErrUnsupportedVersion = errors.New("unsupported format version")

// Formats whose unsupported versions are counted: the format label's values.
const (
	FormatMeta   = "meta"
	FormatEcho   = "echo"
	FormatDigest = "digest"
)

// versionFormats lists the format label's values, in display order.
var versionFormats = []string{FormatMeta, FormatEcho, FormatDigest}

// wireCodec writes and reads a member's metadata and echo packets. Members use
// currentWire; tests give a member the codec of another release (Config.wire) to
// run a mesh of mixed versions.
type wireCodec struct {
	encodeMeta func(m Meta, limit int) ([]byte, error)
	decodeMeta func(b []byte) (Meta, error)
	// isEcho tells an echo packet from memberlist's by its first byte.
	isEcho     func(b []byte) bool
	appendEcho func(dst []byte, p echoPacket, key []byte) []byte
	// readEcho authenticates and decodes an echo packet; its error wraps
	// ErrUnsupportedVersion for a version the member cannot read.
	readEcho func(b []byte, keys [][]byte) (echoPacket, []byte, error)
}

// currentWire is the codec of this release.
func currentWire() *wireCodec {
	return &wireCodec{
		encodeMeta: Meta.Encode, decodeMeta: DecodeMeta,
		isEcho: isEcho, appendEcho: appendEcho, readEcho: readEcho,
	}
}

// errEchoRefused: an echo packet that is malformed or that no installed key
// authenticates.
var errEchoRefused = errors.New("gossip: echo packet malformed or not authenticated")

// readEcho is parseEcho that tells an unsupported version from a refused packet.
func readEcho(b []byte, keys [][]byte) (echoPacket, []byte, error) {
	if v, ok := echoVersionOf(b); ok && v != echoVersion {
		return echoPacket{}, nil, fmt.Errorf("gossip: echo packet version %d: %w", v, ErrUnsupportedVersion)
	}
	p, key, ok := parseEcho(b, keys)
	if !ok {
		return p, nil, errEchoRefused
	}
	return p, key, nil
}

// versionLogEvery bounds how often refusals of one format are logged.
const versionLogEvery = time.Minute

// versionRefusals counts what a member refused for its format version and logs
// it, at debug level and at most once per versionLogEvery per format: anyone who
// reaches the gossip port can send such data. Safe for concurrent use.
type versionRefusals struct {
	log    *slog.Logger
	now    func() time.Time
	meta   atomic.Uint64
	echo   atomic.Uint64
	digest atomic.Uint64

	mu     sync.Mutex
	logged map[string]time.Time // format -> last log line
}

func newVersionRefusals(log *slog.Logger, now func() time.Time) *versionRefusals {
	return &versionRefusals{log: log, now: now, logged: map[string]time.Time{}}
}

// refuse counts one refusal of format and logs it unless one was logged lately.
func (v *versionRefusals) refuse(format string, err error, attrs ...any) {
	n := v.counter(format).Add(1)
	v.mu.Lock()
	now := v.now()
	quiet := now.Sub(v.logged[format]) < versionLogEvery
	if !quiet {
		v.logged[format] = now
	}
	v.mu.Unlock()
	if !quiet {
		v.log.Debug("gossip: refused an unsupported format version (logged at most once a minute per format)",
			append(attrs, "format", format, "err", err, "refusedTotal", n)...)
	}
}

func (v *versionRefusals) counter(format string) *atomic.Uint64 {
	switch format {
	case FormatEcho:
		return &v.echo
	case FormatDigest:
		return &v.digest
	}
	return &v.meta
}

// count returns the refusals of format so far.
func (v *versionRefusals) count(format string) uint64 { return v.counter(format).Load() }
