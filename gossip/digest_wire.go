package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The digest's wire format (README "Digests"): a message-type byte
// (digestMsgType), the version (DigestVersion), then fields as in the metadata:
// tag byte, uvarint length, value; a reader skips tags it does not know, so a
// release adds a field without a new version. Top-level tags: member, sent
// (uvarint Unix milliseconds), check and rtt (nested fields, one per entry),
// coord (nested), truncated. Times in checks and RTT entries are zigzag
// varints of milliseconds relative to sent; an RTT is a uvarint of
// nanoseconds; a coordinate's numbers are little-endian float64s.
const digestMsgType byte = 'D'

// Top-level digest tags.
const (
	dtMember byte = iota + 1
	dtSent
	dtCheck
	dtRTT
	dtCoord
	dtTruncated
)

// Check entry tags.
const (
	ctName byte = iota + 1
	ctType
	ctResult
	ctLastRun
	ctLastSuccess
	ctFailures
	ctError
)

// RTT entry tags.
const (
	rtPeer byte = iota + 1
	rtNanos
	rtAt
)

// Coordinate tags.
const (
	coVec byte = iota + 1
	coError
	coAdjustment
	coHeight
)

// Bounds a valid digest keeps (checked when encoding and decoding).
const (
	// MaxDigestErrorBytes bounds CheckDigest.Error; longer errors are cut.
	MaxDigestErrorBytes = 128
	// MaxDigestChecks and MaxDigestRTT bound the entries of one digest.
	MaxDigestChecks = 64
	MaxDigestRTT    = 64
	// maxDigestName bounds member and peer names (a MemberName is at most
	// 63 + 1 + 253 + 1 + 8 bytes) and check names.
	maxDigestName = 326
	// maxDigestWord bounds a check's type and result.
	maxDigestWord = 32
	// maxCoordDims bounds a coordinate's dimensions (meshprobe's have 8).
	maxCoordDims = 16
	// maxCoordAbs bounds every coordinate number, in seconds.
	maxCoordAbs = 1e3
	// maxDigestRTTSeconds bounds an RTT.
	maxDigestRTTSeconds = 3600
	// digestClockSkew is how far after Sent a time in the digest may be.
	digestClockSkew = time.Minute
	// maxConsecutiveFailures bounds CheckDigest.ConsecutiveFailures.
	maxConsecutiveFailures = math.MaxInt32
)

// digestEpoch and digestEnd bound every time in a digest: sane clocks only.
var (
	digestEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	digestEnd   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Errors that DecodeDigest's errors wrap, besides ErrUnsupportedVersion.
var (
	// ErrDigestSize: the message is over MaxDigestBytes.
	ErrDigestSize = errors.New("digest over the byte budget")
	// ErrNotDigest: the message is not a digest (another message type).
	ErrNotDigest = errors.New("not a digest message")
)

// Encode returns the wire form of d, at most MaxDigestBytes. Errors are made
// valid UTF-8 (anything a check's target sent may be in them) and cut to
// MaxDigestErrorBytes. When everything does not fit, failing checks (failure,
// timeout) are kept first, then the other checks, then the most recent RTT
// entries, and Truncated is set. A digest that does not Validate, or whose
// member, time and coordinate alone do not fit, is an error.
func (d Digest) Encode() ([]byte, error) {
	d = d.normalized()
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("gossip: encoding digest: %w", err)
	}
	sent := d.Sent.UnixMilli()
	out := d.appendHead(make([]byte, 0, MaxDigestBytes), sent)
	// Room for the truncated flag, should it be needed.
	budget := MaxDigestBytes - 3
	if len(out) > budget {
		return nil, fmt.Errorf("gossip: encoding digest: member, time and coordinate take %d bytes, over %d", len(out), budget)
	}
	truncated := d.Truncated
	var entry []byte
	for _, c := range d.Checks {
		entry = appendNested(entry[:0], dtCheck, c.appendTo(nil, sent))
		out, truncated = appendIfFits(out, entry, budget, truncated)
	}
	for _, r := range d.RTT {
		entry = appendNested(entry[:0], dtRTT, r.appendTo(nil, sent))
		out, truncated = appendIfFits(out, entry, budget, truncated)
	}
	if truncated {
		out = appendField(out, dtTruncated, "\x01")
	}
	return out, nil
}

// appendIfFits appends entry when out stays within budget; else it reports the
// digest truncated.
func appendIfFits(out, entry []byte, budget int, truncated bool) ([]byte, bool) {
	if len(out)+len(entry) > budget {
		return out, true
	}
	return append(out, entry...), truncated
}

// normalized returns a copy of d with errors made valid UTF-8 and cut, failing checks first, the most
// recent RTT entries first, and at most MaxDigestChecks and MaxDigestRTT
// entries (Truncated set when some were dropped).
func (d Digest) normalized() Digest {
	d.Checks = slices.Clone(d.Checks)
	for i := range d.Checks {
		d.Checks[i].Error = cutUTF8(strings.ToValidUTF8(d.Checks[i].Error, "\uFFFD"), MaxDigestErrorBytes)
	}
	slices.SortStableFunc(d.Checks, func(a, b CheckDigest) int { return boolOrder(a.failing(), b.failing()) })
	d.RTT = slices.Clone(d.RTT)
	slices.SortStableFunc(d.RTT, func(a, b PeerRTT) int { return b.At.Compare(a.At) })
	if len(d.Checks) > MaxDigestChecks {
		d.Checks, d.Truncated = d.Checks[:MaxDigestChecks], true
	}
	if len(d.RTT) > MaxDigestRTT {
		d.RTT, d.Truncated = d.RTT[:MaxDigestRTT], true
	}
	return d
}

// boolOrder sorts true before false.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// failing reports whether the check's last result is a failure or a timeout.
func (c CheckDigest) failing() bool { return c.Result == "failure" || c.Result == "timeout" }

// cutUTF8 cuts s to at most n bytes on a rune boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (d Digest) appendHead(out []byte, sent int64) []byte {
	out = append(out, digestMsgType, DigestVersion)
	out = appendField(out, dtMember, d.Member)
	out = appendNested(out, dtSent, binary.AppendUvarint(nil, uint64(sent)))
	if d.Coord != nil {
		out = appendNested(out, dtCoord, appendCoord(nil, d.Coord))
	}
	return out
}

func (c CheckDigest) appendTo(out []byte, sent int64) []byte {
	out = appendField(out, ctName, c.Name)
	out = appendStringIf(out, ctType, c.Type)
	out = appendStringIf(out, ctResult, c.Result)
	out = appendTimeIf(out, ctLastRun, c.LastRun, sent)
	out = appendTimeIf(out, ctLastSuccess, c.LastSuccess, sent)
	if c.ConsecutiveFailures > 0 {
		out = appendNested(out, ctFailures, binary.AppendUvarint(nil, uint64(c.ConsecutiveFailures)))
	}
	return appendStringIf(out, ctError, c.Error)
}

func (r PeerRTT) appendTo(out []byte, sent int64) []byte {
	out = appendField(out, rtPeer, r.Peer)
	out = appendNested(out, rtNanos, binary.AppendUvarint(nil, uint64(math.Round(r.Seconds*1e9))))
	return appendTimeIf(out, rtAt, r.At, sent)
}

func appendCoord(out []byte, c *Coordinate) []byte {
	vec := make([]byte, 0, 8*len(c.Vec))
	for _, v := range c.Vec {
		vec = binary.LittleEndian.AppendUint64(vec, math.Float64bits(v))
	}
	out = appendNested(out, coVec, vec)
	for _, f := range []struct {
		tag byte
		v   float64
	}{{coError, c.Error}, {coAdjustment, c.Adjustment}, {coHeight, c.Height}} {
		out = appendNested(out, f.tag, binary.LittleEndian.AppendUint64(nil, math.Float64bits(f.v)))
	}
	return out
}

func appendNested(out []byte, tag byte, val []byte) []byte {
	out = append(out, tag)
	out = binary.AppendUvarint(out, uint64(len(val)))
	return append(out, val...)
}

func appendStringIf(out []byte, tag byte, s string) []byte {
	if s == "" {
		return out
	}
	return appendField(out, tag, s)
}

// appendTimeIf appends t as milliseconds relative to sent; nothing when zero.
func appendTimeIf(out []byte, tag byte, t time.Time, sent int64) []byte {
	if t.IsZero() {
		return out
	}
	return appendNested(out, tag, binary.AppendVarint(nil, t.UnixMilli()-sent))
}
