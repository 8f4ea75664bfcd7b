package pki

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// PEM block types.
const (
	typeCertificate  = "CERTIFICATE"
	typePrivateKey   = "PRIVATE KEY"    // PKCS #8
	typeECPrivateKey = "EC PRIVATE KEY" // SEC 1
	typePublicKey    = "PUBLIC KEY"     // PKIX
)

// CertPEM encodes c as a CERTIFICATE block.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typeCertificate, Bytes: c.Raw})
}

// KeyPEM encodes k as a PKCS #8 PRIVATE KEY block.
func KeyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("pki: encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typePrivateKey, Bytes: der}), nil
}

// ECKeyPEM encodes k as a SEC 1 EC PRIVATE KEY block.
func ECKeyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("pki: encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typeECPrivateKey, Bytes: der}), nil
}

// PublicKeyPEM encodes k as a PKIX PUBLIC KEY block.
func PublicKeyPEM(k *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("pki: encoding a public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typePublicKey, Bytes: der}), nil
}

// ParseCerts parses every CERTIFICATE block in data, in order, and skips
// blocks of other types. It fails when a certificate does not parse or there
// is none.
func ParseCerts(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	var other []string
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != typeCertificate {
			other = append(other, block.Type)
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: parsing certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("pki: no certificate in PEM data%s", found(other))
	}
	return certs, nil
}

// ParseKey parses the first private key block in data: a PKCS #8 PRIVATE KEY
// or a SEC 1 EC PRIVATE KEY, which must hold an ECDSA key. Blocks of other
// types (such as EC PARAMETERS) before it are skipped.
func ParseKey(data []byte) (*ecdsa.PrivateKey, error) {
	var other []string
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		switch block.Type {
		case typeECPrivateKey:
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: parsing an EC PRIVATE KEY: %w", err)
			}
			return k, nil
		case typePrivateKey:
			return parsePKCS8(block.Bytes)
		}
		other = append(other, block.Type)
	}
	return nil, fmt.Errorf("pki: no PEM key (PRIVATE KEY or EC PRIVATE KEY) in data%s", found(other))
}

func parsePKCS8(der []byte) (*ecdsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parsing a PRIVATE KEY: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("pki: the PRIVATE KEY is %T, want an ECDSA key", k)
	}
	return ec, nil
}

// found tells which PEM block types were seen instead of the wanted one.
func found(types []string) string {
	if len(types) == 0 {
		return ""
	}
	return ": found " + strings.Join(types, ", ")
}
