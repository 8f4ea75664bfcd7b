package gossip

import (
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
		{"unicode", Meta{Pod: "pöd", App: "äpp"}},
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
	long := strings.Repeat("x", 253)
	m := Meta{
		Pod: long, Namespace: strings.Repeat("n", 63), Node: long, OwnerKind: "StatefulSet", OwnerName: long,
		App: long, AppVersion: long, Agent: long, Role: RoleSidecar,
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
}

func TestMetaTruncateKeepsUTF8(t *testing.T) {
	assert.Equal(t, "ab", truncateUTF8("abé", 3), "é is two bytes and is not split")
	assert.Equal(t, "abé", truncateUTF8("abé", 4))
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeMeta([]byte(tt.in))
			require.EqualError(t, err, tt.err)
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

func FuzzDecodeMeta(f *testing.F) {
	full, _ := Meta{Pod: "p", Namespace: "n", Keys: []string{"0123456789ab"}, Truncated: true}.Encode(MetaMaxSize)
	f.Add(full)
	f.Add([]byte{1})
	f.Add([]byte{1, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes and decodes to the same value.
		enc, err := m.Encode(1 << 20)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", m, err)
		}
		again, err := DecodeMeta(enc)
		if err != nil {
			t.Fatalf("decoding re-encoded: %v", err)
		}
		if len(m.Keys) == 0 {
			m.Keys, again.Keys = nil, nil
		}
		assert.Equal(t, m, again)
	})
}
