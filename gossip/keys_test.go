package gossip

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKeys(t *testing.T) {
	k1 := bytes.Repeat([]byte{1}, 32)
	k2 := bytes.Repeat([]byte{2}, 16)
	b64 := base64.StdEncoding.EncodeToString
	got, err := ParseKeys([]byte("# rotated 2026-01-01\n" + b64(k1) + "\n\n  " + b64(k2) + "  \r\n" + b64(k1) + "\n"))
	require.NoError(t, err)
	assert.Equal(t, Keys{k1, k2}, got, "comments, blanks and duplicates are skipped")
	assert.Equal(t, k1, got.Primary())
	assert.Equal(t, []string{Fingerprint(k1), Fingerprint(k2)}, got.Fingerprints())
	assert.Len(t, Fingerprint(k1), 12)
}

func TestParseKeysErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/keys-invalid-*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			want, err := os.ReadFile(strings.TrimSuffix(f, ".txt") + ".err")
			require.NoError(t, err)
			_, err = ParseKeys(data)
			require.EqualError(t, err, strings.TrimSpace(string(want)))
		})
	}
}

func FuzzParseKeys(f *testing.F) {
	f.Add([]byte(base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"))
	f.Add([]byte("#\n\n"))
	f.Add([]byte("!!"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseKeys(data)
		if err != nil {
			return
		}
		for _, k := range keys {
			require.NoError(t, memberlist.ValidateKey(k), "every parsed key is usable")
		}
	})
}

func TestApplyKeys(t *testing.T) {
	k := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	tests := []struct {
		name      string
		have      Keys
		want      Keys
		wantAfter Keys
	}{
		{"add a key", Keys{k(1)}, Keys{k(1), k(2)}, Keys{k(1), k(2)}},
		{"switch primary", Keys{k(1), k(2)}, Keys{k(2), k(1)}, Keys{k(2), k(1)}},
		{"drop the old primary", Keys{k(2), k(1)}, Keys{k(2)}, Keys{k(2)}},
		{"drop a middle key", Keys{k(1), k(2), k(3)}, Keys{k(1), k(3)}, Keys{k(1), k(3)}},
		{"replace everything", Keys{k(1), k(2)}, Keys{k(3)}, Keys{k(3)}},
		{"unchanged", Keys{k(1), k(2)}, Keys{k(1), k(2)}, Keys{k(1), k(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring, err := memberlist.NewKeyring(tt.have, tt.have.Primary())
			require.NoError(t, err)
			require.NoError(t, applyKeys(ring, tt.want))
			assert.Equal(t, tt.wantAfter, Keys(ring.GetKeys()))
		})
	}
}

func TestRemovalsAtEndOfNormalRotation(t *testing.T) {
	// The three steps of a rotation never reorder the ring: the dropped key is last.
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	ring, err := memberlist.NewKeyring(Keys{k2, k1}, k2)
	require.NoError(t, err)
	before := ring.GetKeys()
	require.NoError(t, applyKeys(ring, Keys{k2}))
	assert.Equal(t, k2, before[0], "the backing array was not shifted")
	assert.Equal(t, k1, before[1])
}

func TestKeysEncodeRoundTrip(t *testing.T) {
	k1, err := NewKey()
	require.NoError(t, err)
	k2, err := NewKey()
	require.NoError(t, err)
	require.Len(t, k1, 32)
	assert.NotEqual(t, k1, k2)
	got, err := ParseKeys(Keys{k2, k1}.Encode())
	require.NoError(t, err)
	assert.Equal(t, Keys{k2, k1}, got)
}
