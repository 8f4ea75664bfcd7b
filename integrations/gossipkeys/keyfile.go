package gossipkeys

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// keySize is the size of a generated key: AES-256, as memberlist expects.
const keySize = 32

// newKey returns 32 random bytes from r.
func newKey(r io.Reader) ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("gossipkeys: generating a key: %w", err)
	}
	return key, nil
}

// encodeKeys returns the key file: one base64 key per line, the primary first.
func encodeKeys(keys gossip.Keys) []byte {
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(base64.StdEncoding.EncodeToString(k))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// secretKeys parses the key file of a gossip-key Secret.
func secretKeys(s *corev1.Secret) (gossip.Keys, error) {
	data, ok := s.Data[contract.GossipKeySecretKey]
	if !ok {
		return nil, fmt.Errorf("gossipkeys: Secret %s/%s has no data key %q", s.Namespace, s.Name, contract.GossipKeySecretKey)
	}
	keys, err := gossip.ParseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("gossipkeys: Secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	return keys, nil
}

// indexOf returns the position of the key with this fingerprint, or -1.
func indexOf(keys gossip.Keys, fingerprint string) int {
	for i, fp := range keys.Fingerprints() {
		if fp == fingerprint {
			return i
		}
	}
	return -1
}

// without returns keys minus the one at i.
func without(keys gossip.Keys, i int) gossip.Keys {
	out := make(gossip.Keys, 0, len(keys))
	out = append(out, keys[:i]...)
	return append(out, keys[i+1:]...)
}
