package webhookcerts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// keyPair is a certificate with its private key.
type keyPair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newCA makes a self-signed ECDSA P-256 CA valid from now-backdate for validity.
func newCA(r io.Reader, now time.Time, validity, backdate time.Duration) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), r)
	if err != nil {
		return keyPair{}, fmt.Errorf("webhookcerts: generating the CA key: %w", err)
	}
	serial, err := newSerial(r)
	if err != nil {
		return keyPair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "meshprobe-webhook-ca " + now.UTC().Format("20060102T150405Z"), Organization: []string{"meshprobe"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return sign(r, tmpl, tmpl, key, key)
}

// newLeaf makes an ECDSA P-256 serving certificate signed by ca, valid from
// now-backdate for validity but never beyond the CA.
func newLeaf(r io.Reader, ca keyPair, dnsNames []string, ips []net.IP, now time.Time, validity, backdate time.Duration) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), r)
	if err != nil {
		return keyPair{}, fmt.Errorf("webhookcerts: generating the serving key: %w", err)
	}
	serial, err := newSerial(r)
	if err != nil {
		return keyPair{}, err
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: dnsNames[0]},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	return sign(r, tmpl, ca.cert, key, ca.key)
}

func sign(r io.Reader, tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, signer crypto.Signer) (keyPair, error) {
	der, err := x509.CreateCertificate(r, tmpl, parent, key.Public(), signer)
	if err != nil {
		return keyPair{}, fmt.Errorf("webhookcerts: signing %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, fmt.Errorf("webhookcerts: %w", err)
	}
	return keyPair{cert: cert, key: key}, nil
}

func newSerial(r io.Reader) (*big.Int, error) {
	serial, err := rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("webhookcerts: generating a serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}

// renewAt is when a certificate reaches half its lifetime, counted from its
// issue time (NotBefore plus the backdate).
func renewAt(c *x509.Certificate, backdate time.Duration) time.Time {
	issued := c.NotBefore.Add(backdate)
	if issued.After(c.NotAfter) {
		issued = c.NotBefore
	}
	return issued.Add(c.NotAfter.Sub(issued) / 2)
}

// fingerprint names a certificate: the first 8 bytes of its SHA-256, in hex.
func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:8])
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("webhookcerts: encoding a key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parseCerts parses every CERTIFICATE block of a PEM bundle.
func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("webhookcerts: parsing a certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("webhookcerts: no certificate in PEM data")
	}
	return out, nil
}

// parseKey parses a PKCS#8 or SEC 1 ECDSA private key in PEM.
func parseKey(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("webhookcerts: no PEM key")
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("webhookcerts: parsing a key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("webhookcerts: key is not ECDSA")
	}
	return ec, nil
}
