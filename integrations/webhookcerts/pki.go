package webhookcerts

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/meshprobe/meshprobe/internal/pki"
)

// issuer issues at now from r, backdating NotBefore by backdate.
func issuer(r io.Reader, now time.Time, backdate time.Duration) pki.Issuer {
	return pki.Issuer{Rand: r, At: now, Backdate: backdate}
}

// newCA makes a self-signed ECDSA P-256 CA valid from now-backdate for validity.
func newCA(r io.Reader, now time.Time, validity, backdate time.Duration) (pki.KeyPair, error) {
	subject := pkix.Name{CommonName: "meshprobe-webhook-ca " + now.UTC().Format("20060102T150405Z"), Organization: []string{"meshprobe"}}
	ca, err := issuer(r, now, backdate).NewCA(subject, validity)
	if err != nil {
		return pki.KeyPair{}, fmt.Errorf("webhookcerts: making the CA: %w", err)
	}
	return ca, nil
}

// newLeaf makes an ECDSA P-256 serving certificate signed by ca, valid from
// now-backdate for validity but never beyond the CA.
func newLeaf(r io.Reader, ca pki.KeyPair, dnsNames []string, ips []net.IP, now time.Time, validity, backdate time.Duration) (pki.KeyPair, error) {
	leaf, err := issuer(r, now, backdate).IssueServing(ca, dnsNames[0], dnsNames, ips, validity)
	if err != nil {
		return pki.KeyPair{}, fmt.Errorf("webhookcerts: making the serving certificate: %w", err)
	}
	return leaf, nil
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
