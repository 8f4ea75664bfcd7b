package gossip

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateWire = flag.Bool("update", false, "rewrite the current-* and future-* files in testdata/wire (never the v1-* ones)")

// Fingerprints of the golden keys: testdata/wire/key (bytes 0..31) and bytes
// 0xa0..0xbf.
const goldenFP, goldenFP2 = "630dcd2966c4", "00e988677eec"

// goldenMetas are the members whose v1 encodings are in testdata/wire.
var goldenMetas = map[string]Meta{
	"meta-sidecar": {Pod: "web-7d9f8c6b5-x2x4z", Namespace: "shop", Node: "node-1", Zone: "eu-west-1a",
		OwnerKind: "Deployment", OwnerName: "web", App: "web", AppVersion: "1.4.2", Agent: "v0.9.0", Role: RoleSidecar,
		Keys: []string{goldenFP}},
	"meta-control-plane": {Pod: "meshprobe-webhook-6c8d9f-q7x2p", Namespace: "meshprobe-system", Node: "node-2",
		OwnerKind: "meshprobe-control-plane", OwnerName: "meshprobe-webhook", App: "meshprobe", Agent: "v0.9.0",
		Role: RoleControlPlane, Keys: []string{goldenFP}},
	"meta-rotating-leaving": {Pod: "api-0", Namespace: "shop", Node: "node-3", OwnerKind: "StatefulSet",
		OwnerName: "api", App: "api", Agent: "v0.9.0", Role: RoleSidecar,
		Keys: []string{goldenFP2, goldenFP}, Leaving: true},
}

// goldenEchoes are the echo packets whose v1 encodings are in testdata/wire.
var goldenEchoes = map[string]echoPacket{
	"echo-request":  {kind: echoRequest, seq: 0x0102030405060708, nonce: 0x1112131415161718},
	"echo-response": {kind: echoResponse, seq: 0x0102030405060708, nonce: 0x1112131415161718, hold: 12345},
}

func wireFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wire", name))
	require.NoError(t, err)
	return b
}

// goldenKey returns the key of testdata/wire/key.
func goldenKey(t testing.TB) []byte {
	t.Helper()
	keys, err := ParseKeys(wireFile(t, "key"))
	require.NoError(t, err)
	return keys.Primary()
}

// checkWireFile compares b with testdata/wire/name, or rewrites it with -update.
func checkWireFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if *updateWire {
		require.NoError(t, os.WriteFile(filepath.Join("testdata", "wire", name), b, 0o644))
		return
	}
	assert.Equal(t, wireFile(t, name), b, "%s (rewrite with go test ./gossip -run Wire -update)", name)
}

// The metadata members of the previous release announce is read to the same
// member; what this release encodes for it is what the previous one did, and the
// previous release's decoder (frozen in wirev1_test.go) reads it.
func TestWireMetaV1Golden(t *testing.T) {
	for name, want := range goldenMetas {
		t.Run(name, func(t *testing.T) {
			v1 := wireFile(t, "v1-"+name+".bin")
			got, err := DecodeMeta(v1)
			require.NoError(t, err)
			assert.Equal(t, want, got)

			cur, err := want.Encode(MetaMaxSize)
			require.NoError(t, err)
			checkWireFile(t, "current-"+name+".bin", cur)
			assert.Equal(t, v1, cur, "this release writes version 1 exactly as the previous one")
			old, err := v1DecodeMeta(cur)
			require.NoError(t, err, "the previous release reads this one's metadata")
			assert.Equal(t, want, Meta(old))

			frozen, err := v1Meta(want).Encode(MetaMaxSize)
			require.NoError(t, err)
			assert.Equal(t, v1, frozen, "the frozen v1 codec is the previous release's")
		})
	}
}

// A node agent's metadata (RoleAgent, which the previous release never wrote)
// is what the previous release's codec writes for it, and its strict decoder
// reads it: a new role is a new value, not a new field or version.
func TestWireMetaAgentReadByV1(t *testing.T) {
	want := Meta{Pod: "meshprobe-agent-x7k2p", Namespace: "meshprobe-system", Node: "node-1", Zone: "eu-west-1a",
		OwnerKind: "DaemonSet", OwnerName: "meshprobe-agent", App: "meshprobe-agent", Agent: "v1.0.0", Role: RoleAgent,
		Keys: []string{goldenFP}}
	cur, err := want.Encode(MetaMaxSize)
	require.NoError(t, err)
	checkWireFile(t, "current-meta-agent.bin", cur)
	old, err := v1DecodeMeta(cur)
	require.NoError(t, err, "the previous release reads a node agent's metadata")
	assert.Equal(t, want, Meta(old))
	frozen, err := v1Meta(want).Encode(MetaMaxSize)
	require.NoError(t, err)
	assert.Equal(t, frozen, cur)
}

func TestWireEchoV1Golden(t *testing.T) {
	key := goldenKey(t)
	for name, want := range goldenEchoes {
		t.Run(name, func(t *testing.T) {
			v1 := wireFile(t, "v1-"+name+".bin")
			got, k, err := readEcho(v1, [][]byte{newKey(t), key})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, key, k)

			cur := appendEcho(nil, want, key)
			checkWireFile(t, "current-"+name+".bin", cur)
			assert.Equal(t, v1, cur, "this release writes echo version 1 exactly as the previous one")
			old, _, ok := v1ParseEcho(cur, [][]byte{key})
			require.True(t, ok, "the previous release reads this one's echo packets")
			assert.Equal(t, want, old)
			assert.Equal(t, v1, v1AppendEcho(nil, want, key), "the frozen v1 codec is the previous release's")
		})
	}
}

// futureMetaMinor is the sidecar's v1 metadata with fields of a later release:
// tags this release does not know, one of them empty.
func futureMetaMinor(t testing.TB) []byte {
	b := append([]byte(nil), wireFile(t, "v1-meta-sidecar.bin")...)
	b = appendField(b, 14, "\x02\x07")
	b = appendField(b, 0xc8, "a later field")
	return appendField(b, 0xff, "")
}

// futureMetaMajor is the sidecar's metadata under major version 2.
func futureMetaMajor(t testing.TB) []byte {
	b := append([]byte(nil), wireFile(t, "v1-meta-sidecar.bin")...)
	b[0] = 2
	return b
}

// futureEchoExtended is a v1 request with 8 bytes of fields of a later release
// between the header and the tag, which covers them.
func futureEchoExtended(key []byte, p echoPacket) []byte {
	return echoWithFields(key, p, binary.BigEndian.AppendUint64(nil, 0xfeedfacecafebeef))
}

// echoWithFields is a v1 packet with fields between the header and the tag.
func echoWithFields(key []byte, p echoPacket, fields []byte) []byte {
	b := append(appendEcho(nil, p, key)[:echoHeader], fields...)
	mac := hmac.New(sha256.New, key)
	mac.Write(b)
	return mac.Sum(b)[:len(b)+echoTagLen]
}

// futureEchoMajor is a request of echo version 2: the format byte 0xE8.
func futureEchoMajor(key []byte, p echoPacket) []byte {
	b := appendEcho(nil, p, key)
	b[0] = echoFormatBase + 2
	return b
}

func TestWireMetaFuture(t *testing.T) {
	want := goldenMetas["meta-sidecar"]
	t.Run("later fields are skipped", func(t *testing.T) {
		b := futureMetaMinor(t)
		checkWireFile(t, "future-meta-v1-later-fields.bin", b)
		got, err := DecodeMeta(b)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		old, err := v1DecodeMeta(b)
		require.NoError(t, err, "the previous release skips them too")
		assert.Equal(t, want, Meta(old))
	})
	t.Run("a later major version is refused", func(t *testing.T) {
		b := futureMetaMajor(t)
		checkWireFile(t, "future-meta-v2.bin", b)
		_, err := DecodeMeta(b)
		require.ErrorIs(t, err, ErrUnsupportedVersion)
		assert.EqualError(t, err, "gossip: decoding metadata: unknown version 2: unsupported format version")
		_, err = v1DecodeMeta(b)
		assert.EqualError(t, err, "gossip: decoding metadata: unknown version 2", "the previous release refuses it as well")
	})
	for _, garbage := range []string{"\x00", "\xff\x01\x01p"} {
		_, err := DecodeMeta([]byte(garbage))
		assert.ErrorIs(t, err, ErrUnsupportedVersion, "%q", garbage)
	}
}

func TestWireEchoFuture(t *testing.T) {
	key := goldenKey(t)
	req := goldenEchoes["echo-request"]
	t.Run("later fields are skipped", func(t *testing.T) {
		b := futureEchoExtended(key, req)
		checkWireFile(t, "future-echo-v1-later-fields.bin", b)
		got, _, err := readEcho(b, [][]byte{key})
		require.NoError(t, err)
		assert.Equal(t, req, got)
		_, _, ok := v1ParseEcho(b, [][]byte{key})
		assert.False(t, ok, "the previous release reads 42-byte packets only: it does not answer")

		tampered := append([]byte(nil), b...)
		tampered[echoHeader] ^= 1
		_, _, err = readEcho(tampered, [][]byte{key})
		assert.ErrorIs(t, err, errEchoRefused, "the tag covers the later fields")
	})
	t.Run("a later version is refused", func(t *testing.T) {
		b := futureEchoMajor(key, req)
		checkWireFile(t, "future-echo-v2.bin", b)
		assert.True(t, isEcho(b), "the Transport keeps it from memberlist")
		_, _, err := readEcho(b, [][]byte{key})
		require.ErrorIs(t, err, ErrUnsupportedVersion)
		assert.False(t, v1IsEcho(b))
		assert.Equal(t, RefusedPacketType, newPacketScreen(nil).check(b),
			"the previous release gives it to its packet screen, which refuses it as packet-type")
	})
	for name, b := range map[string][]byte{
		"longer than echoMaxLen": echoWithFields(key, req, make([]byte, echoMaxLen-echoLen+1)),
		"too short":              appendEcho(nil, req, key)[:echoLen-1],
		"not echo":               {0x01, 0x02},
		"format byte E6":         append([]byte{echoFormatBase}, make([]byte, echoLen-1)...),
		"format byte F0":         append([]byte{0xf0}, make([]byte, echoLen-1)...),
		"wrong key":              appendEcho(nil, req, newKey(t)),
	} {
		_, _, err := readEcho(b, [][]byte{key})
		assert.ErrorIs(t, err, errEchoRefused, name)
		assert.False(t, errors.Is(err, ErrUnsupportedVersion), name)
	}
}

func TestWireEchoUnknownKindIgnored(t *testing.T) {
	key := goldenKey(t)
	p, _, err := readEcho(appendEcho(nil, echoPacket{kind: 9, seq: 1}, key), [][]byte{key})
	require.NoError(t, err, "a kind of a later release decodes; the Transport answers only requests")
	assert.Equal(t, byte(9), p.kind)
}

func TestVersionRefusalsLogRateLimited(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	lines := func() int { return bytes.Count(buf.Bytes(), []byte("\n")) }
	now := time.Unix(1000, 0)
	v := newVersionRefusals(log, func() time.Time { return now })
	for range 5 {
		v.refuse(FormatMeta, ErrUnsupportedVersion)
	}
	v.refuse(FormatEcho, ErrUnsupportedVersion)
	assert.Equal(t, 2, lines(), "one line per format within the minute")
	now = now.Add(versionLogEvery)
	v.refuse(FormatMeta, ErrUnsupportedVersion)
	assert.Equal(t, 3, lines())
	assert.Contains(t, buf.String(), "refusedTotal=6")
	assert.Equal(t, uint64(6), v.count(FormatMeta))
	assert.Equal(t, uint64(1), v.count(FormatEcho))
	assert.Zero(t, v.count(FormatDigest), "each format has its own count")
}

// FuzzReadEcho: any input is refused, counted as an unsupported version, or
// decodes from a version-1 packet whose header re-encodes to its own.
func FuzzReadEcho(f *testing.F) {
	key := make([]byte, 32)
	req := echoPacket{kind: echoRequest, seq: 1, nonce: 2}
	f.Add(appendEcho(nil, req, key))
	f.Add(futureEchoExtended(key, req))
	f.Add(futureEchoMajor(key, req))
	f.Add([]byte{echoMagic})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, err := readEcho(b, [][]byte{key})
		switch {
		case errors.Is(err, ErrUnsupportedVersion):
			v, ok := echoVersionOf(b)
			require.True(t, ok && v != echoVersion)
		case err == nil:
			require.GreaterOrEqual(t, len(b), echoLen)
			require.Equal(t, b[:echoHeader], appendEcho(nil, p, key)[:echoHeader])
		}
	})
}
