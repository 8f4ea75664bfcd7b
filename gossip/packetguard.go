package gossip

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"slices"
)

// memberlist's encrypted packets: an encryption version (0 or 1), a 12-byte
// nonce, the AES-GCM ciphertext and its 16-byte tag. meshprobe's memberlist
// packets stay within memberlist's UDPBufferSize (1,400 bytes); maxPacketBytes
// leaves ample room and bounds what a garbage packet costs to authenticate.
const (
	maxEncryptionVersion = 1
	packetNonceBytes     = 12
	minPacketBytes       = 1 + packetNonceBytes + 16
	maxPacketBytes       = 8 << 10
)

// packetScreen authenticates memberlist's UDP packets before they are queued for
// memberlist, so garbage costs one AES-GCM check per installed key over at most
// maxPacketBytes, and no log line. It is used by the one UDP read goroutine only.
type packetScreen struct {
	keys    func() [][]byte
	scratch []byte
	// plain is the plaintext of the last packet check authenticated (in
	// scratch, valid until the next check), nil when it opened none.
	plain []byte
	// seen and aeads cache the ciphers of the last key set.
	seen  [][]byte
	aeads []cipher.AEAD
}

func newPacketScreen(keys func() [][]byte) *packetScreen {
	return &packetScreen{keys: keys, scratch: make([]byte, 0, maxPacketBytes)}
}

// check returns "" for a packet an installed key authenticates (or, before the
// keyring exists, any well-formed one), else the refusal reason.
func (s *packetScreen) check(b []byte) string {
	s.plain = nil
	switch {
	case len(b) < minPacketBytes || len(b) > maxPacketBytes:
		return RefusedPacketSize
	case b[0] > maxEncryptionVersion:
		return RefusedPacketType
	}
	if s.keys == nil {
		return ""
	}
	aeads := s.ciphers(s.keys())
	if aeads == nil {
		return ""
	}
	nonce, sealed := b[1:1+packetNonceBytes], b[1+packetNonceBytes:]
	for _, a := range aeads {
		if plain, err := a.Open(s.scratch[:0], nonce, sealed, nil); err == nil {
			s.plain = plain
			return ""
		}
	}
	return RefusedPacketAuth
}

// ciphers returns the AES-GCM ciphers of keys, rebuilt when the key set changed;
// nil when there are no usable keys.
func (s *packetScreen) ciphers(keys [][]byte) []cipher.AEAD {
	if slices.EqualFunc(keys, s.seen, bytes.Equal) && s.aeads != nil {
		return s.aeads
	}
	s.seen, s.aeads = nil, nil
	for _, k := range keys {
		if a, err := newAEAD(k); err == nil {
			s.aeads = append(s.aeads, a)
		}
	}
	s.seen = make([][]byte, len(keys))
	for i, k := range keys {
		s.seen[i] = bytes.Clone(k)
	}
	return s.aeads
}

// newAEAD returns the AES-GCM cipher memberlist seals with under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
