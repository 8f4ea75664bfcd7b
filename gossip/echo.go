package gossip

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"
)

// Echo packets share the gossip UDP port with memberlist. memberlist's packets
// start with a message type (0-13), an encryption version (0-1) or a label marker
// (244); an echo packet starts with its format byte, echoFormatBase plus its
// version (0xE7 for version 1, 0xE8-0xEF kept for versions 2-9), none of these,
// so the Transport can tell them apart by the first byte.
//
// Layout of version 1 (42 bytes): format byte, kind, 8-byte sequence number,
// 8-byte nonce, 8-byte hold time in nanoseconds, then the first 16 bytes of
// HMAC-SHA256 over the preceding 26 bytes, keyed with a gossip key. A responder
// answers only requests authenticated with a key it holds, with a response of
// the same size (no amplification), authenticated with that key. The hold time
// is how long the responder held the request, from the kernel's receive
// timestamp to just before its reply; the prober subtracts it, so the RTT, like
// ping's, excludes the responder's wake-up and scheduling delay.
//
// Forward compatibility: a version-1 packet of up to echoMaxLen bytes may carry
// fields, unknown here, between the header and the tag, which is always the last
// 16 bytes and covers everything before it; they are ignored, and the answer is
// the 42-byte packet (never larger than the request). Kinds other than request
// and response are ignored. Members of meshprobe before explicit versions read
// only 42-byte packets starting with 0xE7: this member sends nothing else.
const (
	echoFormatBase = 0xE6
	echoVersion    = 1
	echoMaxVersion = 9
	echoMagic      = echoFormatBase + echoVersion
	echoRequest    = 1
	echoResponse   = 2
	echoHeader     = 26
	echoTagLen     = 16
	echoLen        = echoHeader + echoTagLen
	echoMaxLen     = 256
)

// echoPacket is a decoded echo packet.
type echoPacket struct {
	kind  byte
	seq   uint64
	nonce uint64
	hold  time.Duration
}

// isEcho reports whether a UDP payload is an echo packet, of any version,
// rather than memberlist's.
func isEcho(b []byte) bool {
	_, ok := echoVersionOf(b)
	return ok
}

// echoVersionOf returns the version of an echo packet, ok false when b is not one.
func echoVersionOf(b []byte) (int, bool) {
	if len(b) == 0 || b[0] <= echoFormatBase || b[0] > echoFormatBase+echoMaxVersion {
		return 0, false
	}
	return int(b[0] - echoFormatBase), true
}

// appendEcho writes p, authenticated with key, to dst[:0] and returns it.
func appendEcho(dst []byte, p echoPacket, key []byte) []byte {
	dst = append(dst[:0], echoMagic, p.kind)
	dst = binary.BigEndian.AppendUint64(dst, p.seq)
	dst = binary.BigEndian.AppendUint64(dst, p.nonce)
	dst = binary.BigEndian.AppendUint64(dst, uint64(max(p.hold, 0)))
	mac := hmac.New(sha256.New, key)
	mac.Write(dst)
	return mac.Sum(dst)[:echoLen]
}

// parseEcho decodes and authenticates a version-1 packet against keys, ignoring
// fields after the header. It returns the key that verified the packet, or ok
// false when none did or b is malformed.
func parseEcho(b []byte, keys [][]byte) (p echoPacket, key []byte, ok bool) {
	if len(b) < echoLen || len(b) > echoMaxLen || b[0] != echoMagic {
		return p, nil, false
	}
	body, tag := b[:len(b)-echoTagLen], b[len(b)-echoTagLen:]
	var sum [sha256.Size]byte
	for _, k := range keys {
		mac := hmac.New(sha256.New, k)
		mac.Write(body)
		if hmac.Equal(mac.Sum(sum[:0])[:echoTagLen], tag) {
			p.kind = b[1]
			p.seq = binary.BigEndian.Uint64(b[2:10])
			p.nonce = binary.BigEndian.Uint64(b[10:18])
			p.hold = time.Duration(min(binary.BigEndian.Uint64(b[18:26]), math.MaxInt64))
			return p, k, true
		}
	}
	return p, nil, false
}
