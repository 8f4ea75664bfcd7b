package gossip

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// maxKeys bounds the number of keys a key file may hold.
const maxKeys = 16

// Keys is a parsed gossip key file: AES keys, the primary key first.
type Keys [][]byte

// ParseKeys parses the gossip key file format: one base64 key per line (16, 24 or
// 32 bytes; meshprobe generates 32-byte AES-256 keys), the first line being the
// primary key. Blank lines and lines starting with '#' are ignored, duplicates are
// dropped. A file with no key is an error.
func ParseKeys(data []byte) (Keys, error) {
	var keys Keys
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("gossip: key file line %d: not base64", i+1)
		}
		switch len(key) {
		case 16, 24, 32:
		default:
			return nil, fmt.Errorf("gossip: key file line %d: key is %d bytes, want 16, 24 or 32 (AES)", i+1, len(key))
		}
		if keys.index(key) < 0 {
			keys = append(keys, key)
		}
		if len(keys) > maxKeys {
			return nil, fmt.Errorf("gossip: key file holds more than %d keys", maxKeys)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("gossip: key file holds no key")
	}
	return keys, nil
}

// NewKey returns a fresh random 32-byte (AES-256) gossip key.
func NewKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("gossip: generating a key: %w", err)
	}
	return key, nil
}

// Encode returns the key file form of k: one base64 key per line, primary first.
// ParseKeys reads it back.
func (k Keys) Encode() []byte {
	var b strings.Builder
	for _, key := range k {
		b.WriteString(base64.StdEncoding.EncodeToString(key))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// Primary returns the primary key: the first one.
func (k Keys) Primary() []byte { return k[0] }

// Fingerprints returns the fingerprints of the keys, in order.
func (k Keys) Fingerprints() []string {
	out := make([]string, len(k))
	for i, key := range k {
		out[i] = Fingerprint(key)
	}
	return out
}

func (k Keys) index(key []byte) int {
	for i, have := range k {
		if bytes.Equal(have, key) {
			return i
		}
	}
	return -1
}

// Fingerprint names a key without revealing it: the first 6 bytes of its SHA-256,
// in hex (12 characters). Members publish the fingerprints of the keys they hold
// so that a key rotation can wait until every member has the new key.
func Fingerprint(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:fingerprintLen])
}

func fingerprintBytes(fps []string) ([]byte, error) {
	out := make([]byte, 0, len(fps)*fingerprintLen)
	for _, fp := range fps {
		b, err := hex.DecodeString(fp)
		if err != nil || len(b) != fingerprintLen {
			return nil, fmt.Errorf("key fingerprint %q: want %d hex characters", fp, 2*fingerprintLen)
		}
		out = append(out, b...)
	}
	return out, nil
}
