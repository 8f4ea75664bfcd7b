package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// KeyPair is a certificate with its private key.
type KeyPair struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// Issuer makes keys and certificates. The zero value is ready to use. An
// Issuer is a value and safe for concurrent use when Rand is.
type Issuer struct {
	// Rand is the source of keys, serial numbers and signatures. Nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// At is the issue time. Zero means the time of each call. (Long-lived
	// components take a clock.Clock; a value that stamps one instant takes the
	// instant, as here.)
	At time.Time
	// Backdate moves NotBefore this far before the issue time, for clocks a
	// little behind. NotAfter is counted from the issue time.
	Backdate time.Duration
	// LeafKeyUsage is the key usage of serving and client certificates. Zero
	// means x509.KeyUsageDigitalSignature, all an ECDSA key is used for.
	LeafKeyUsage x509.KeyUsage
	// UnconstrainedCAs leaves the path length of the CAs NewCA makes open, so
	// that they could sign intermediate CAs. By default a CA signs leaves only.
	UnconstrainedCAs bool
}

func (is Issuer) rand() io.Reader {
	if is.Rand == nil {
		return rand.Reader
	}
	return is.Rand
}

func (is Issuer) now() time.Time {
	if is.At.IsZero() {
		return time.Now()
	}
	return is.At
}

// NewKey generates an ECDSA P-256 private key.
func (is Issuer) NewKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), is.rand())
	if err != nil {
		return nil, fmt.Errorf("pki: generating a key: %w", err)
	}
	return key, nil
}

// NewCA makes a self-signed CA for subject with a new key, valid for validity
// from the issue time.
func (is Issuer) NewCA(subject pkix.Name, validity time.Duration) (KeyPair, error) {
	now := is.now()
	tmpl := &x509.Certificate{
		Subject:               subject,
		NotBefore:             now.Add(-is.Backdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        !is.UnconstrainedCAs,
	}
	return is.sign(tmpl, KeyPair{})
}

// IssueServing issues a TLS serving certificate (server auth) named cn for
// dnsNames and ips, signed by ca.
func (is Issuer) IssueServing(ca KeyPair, cn string, dnsNames []string, ips []net.IP, validity time.Duration) (KeyPair, error) {
	return is.issue(ca, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		DNSNames:    dnsNames,
		IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, validity)
}

// IssueClient issues a TLS client certificate (client auth) for user cn in
// groups, signed by ca. The groups go in the subject's Organization, where
// kube-apiserver reads them.
func (is Issuer) IssueClient(ca KeyPair, cn string, groups []string, validity time.Duration) (KeyPair, error) {
	return is.issue(ca, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: groups},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, validity)
}

// issue completes a leaf template, valid for validity from the issue time
// but never beyond ca, and signs it with ca.
func (is Issuer) issue(ca KeyPair, tmpl *x509.Certificate, validity time.Duration) (KeyPair, error) {
	now := is.now()
	tmpl.NotBefore = now.Add(-is.Backdate)
	tmpl.NotAfter = now.Add(validity)
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter
	}
	tmpl.KeyUsage = is.LeafKeyUsage
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	return is.sign(tmpl, ca)
}

// sign gives tmpl a new key and serial number and signs it with parent, or
// with its own key when parent is empty (a self-signed CA).
func (is Issuer) sign(tmpl *x509.Certificate, parent KeyPair) (KeyPair, error) {
	key, err := is.NewKey()
	if err != nil {
		return KeyPair{}, err
	}
	if tmpl.SerialNumber, err = is.serial(); err != nil {
		return KeyPair{}, err
	}
	if parent.Cert == nil {
		parent = KeyPair{Cert: tmpl, Key: key}
	}
	der, err := x509.CreateCertificate(is.rand(), tmpl, parent.Cert, key.Public(), parent.Key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("pki: signing %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, fmt.Errorf("pki: parsing the certificate of %q: %w", tmpl.Subject.CommonName, err)
	}
	return KeyPair{Cert: cert, Key: key}, nil
}

// serial returns a random serial number in [1, 2^127]: positive, as RFC 5280
// wants, and at most 128 bits once DER-encoded.
func (is Issuer) serial() (*big.Int, error) {
	n, err := rand.Int(is.rand(), new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: generating a serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}
