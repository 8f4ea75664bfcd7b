package gossip

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetaRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		meta Meta
	}{
		{"empty", Meta{}},
		{"full", Meta{
			Pod: "web-7d9f8-abcde", Namespace: "shop", Node: "node-1", Zone: "eu-west-1a", OwnerKind: "Deployment", OwnerName: "web",
			App: "web", AppVersion: "1.2.3", Agent: "v0.1.0", Role: RoleSidecar,
			Keys: []string{"0123456789ab", "ba9876543210"}, Leaving: true,
		}},
		{"longest", Meta{Pod: strings.Repeat("p", 253), Namespace: strings.Repeat("n", 63), Agent: "v0.0.0-20250101000000-abcdef012345+dirty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.meta.Encode(MetaMaxSize)
			require.NoError(t, err)
			got, err := DecodeMeta(b)
			require.NoError(t, err)
			if tt.meta.Keys == nil {
				tt.meta.Keys = got.Keys // nil and empty are the same on the wire
			}
			assert.Equal(t, tt.meta, got)
		})
	}
}

func TestMetaTruncatesToLimit(t *testing.T) {
	long := strings.Repeat("x", 20) + "." + strings.Repeat("x", 232)
	m := Meta{
		Pod: long, Namespace: strings.Repeat("n", 63), Node: long, OwnerKind: "StatefulSet", OwnerName: long,
		App: strings.Repeat("a", 63), AppVersion: strings.Repeat("v", 63), Agent: strings.Repeat("1", 128), Role: RoleSidecar,
		Keys: []string{"0123456789ab", "0123456789ac", "0123456789ad"},
	}
	b, err := m.Encode(MetaMaxSize)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), MetaMaxSize)
	got, err := DecodeMeta(b)
	require.NoError(t, err)
	assert.True(t, got.Truncated)
	assert.Equal(t, m.Namespace, got.Namespace, "the namespace is never cut")
	assert.Equal(t, m.Keys, got.Keys, "key fingerprints are never cut")
	assert.Equal(t, m.OwnerKind, got.OwnerKind)
	assert.True(t, strings.HasPrefix(long, got.Pod))
	require.NoError(t, got.Validate(), "shortened values keep their grammar")
}

func TestTrimToGrammar(t *testing.T) {
	assert.Equal(t, "ab", trimToGrammar("ab-.cd", 4), "a cut never ends in a separator")
	assert.Equal(t, "ab-.cd", trimToGrammar("ab-.cd", 6))
}

func TestDecodeMetaErrors(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"empty", "", "gossip: decoding metadata: empty"},
		{"version", "\x07", "gossip: decoding metadata: unknown version 7"},
		{"length past end", "\x01\x01\x05ab", "gossip: decoding metadata: field 1: bad length"},
		{"bad varint", "\x01\x01\xff", "gossip: decoding metadata: field 1: bad length"},
		{"keys not multiple", "\x01\x0a\x03abc", "gossip: decoding metadata: key fingerprints: 3 bytes is not a multiple of 6"},
		{"invalid UTF-8", "\x01\x06\x02\xff\xfe", `gossip: decoding metadata: app "\xff\xfe": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
		{"pod name", "\x01\x01\x03a/b", "gossip: decoding metadata: pod \"a/b\": "},
		{"namespace too long", "\x01\x02\x40" + strings.Repeat("n", 64), "gossip: decoding metadata: namespace \"" + strings.Repeat("n", 64) + "\": must be no more than 63 characters"},
		{"label value", "\x01\x0d\x03a b", "gossip: decoding metadata: zone \"a b\": "},
		{"agent", "\x01\x08\x04v1 2", "gossip: decoding metadata: agent \"v1 2\": must be a version"},
		{"too many keys", "\x01\x0a\x36" + strings.Repeat("\x00", 54), "gossip: decoding metadata: 9 key fingerprints, at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeMeta([]byte(tt.in))
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tt.err), "%v", err)
		})
	}
}

func TestDecodeMetaSkipsUnknownFields(t *testing.T) {
	b, err := Meta{Pod: "p"}.Encode(MetaMaxSize)
	require.NoError(t, err)
	b = append(b, 0x63, 2, 'h', 'i') // a field from a newer version
	got, err := DecodeMeta(b)
	require.NoError(t, err)
	assert.Equal(t, "p", got.Pod)
}

func TestMetaEncodeRejectsBadFingerprint(t *testing.T) {
	_, err := Meta{Keys: []string{"nothex"}}.Encode(MetaMaxSize)
	require.EqualError(t, err, `gossip: encoding metadata: key fingerprint "nothex": want 12 hex characters`)
}

func TestMetaEncodeRejectsInvalid(t *testing.T) {
	_, err := Meta{Pod: "Web_1"}.Encode(MetaMaxSize)
	require.ErrorContains(t, err, `gossip: encoding metadata: pod "Web_1": a lowercase RFC 1123 subdomain`)
}

// FuzzDecodeMeta: any input gives an error (ErrUnsupportedVersion exactly when
// the version byte is not 1) or metadata that re-encodes to itself and that,
// announced by a peer, gives a valid exposition on /metrics.
func FuzzDecodeMeta(f *testing.F) {
	full, _ := Meta{Pod: "p", Namespace: "n", Keys: []string{"0123456789ab"}, Truncated: true}.Encode(MetaMaxSize)
	f.Add(full)
	f.Add([]byte{1})
	f.Add([]byte{1, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte("\x01\x06\x02\xff\xfe"))
	f.Add([]byte("\x01\x0d\x05zone1\x03\x04node\x01\x03pod"))
	for _, name := range []string{"v1-meta-sidecar.bin", "v1-meta-rotating-leaving.bin", "future-meta-v1-later-fields.bin", "future-meta-v2.bin"} {
		f.Add(wireFile(f, name))
	}
	m, reg := newExpositionMesh(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		meta, err := DecodeMeta(b)
		if unsupported := len(b) > 0 && b[0] != metaVersion; unsupported != errors.Is(err, ErrUnsupportedVersion) {
			t.Fatalf("%q: version %v, error %v", b, unsupported, err)
		}
		if err != nil {
			return
		}
		enc, err := meta.Encode(1 << 20)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", meta, err)
		}
		again, err := DecodeMeta(enc)
		if err != nil {
			t.Fatalf("decoding re-encoded: %v", err)
		}
		if len(meta.Keys) == 0 {
			meta.Keys, again.Keys = nil, nil
		}
		assert.Equal(t, meta, again)
		requireValidExposition(t, m, reg, meta)
	})
}
