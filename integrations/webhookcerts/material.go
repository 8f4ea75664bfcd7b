package webhookcerts

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/pki"
)

// Data keys of the Secret.
const (
	KeyCABundle = "ca.crt" // the CA bundle the webhook configuration trusts, newest first
	KeyCAKey    = "ca.key" // the signing (newest) CA's private key
	KeyTLSCert  = corev1.TLSCertKey
	KeyTLSKey   = corev1.TLSPrivateKeyKey
)

// Annotations on the Secret: which CA the webhook configuration was seen to
// trust, and since when.
const (
	AnnotationCATrusted      = "meshprobe.io/webhook-ca-trusted"
	AnnotationCATrustedSince = "meshprobe.io/webhook-ca-trusted-since"
)

// material is what the Secret holds, parsed. Unusable parts are left empty, so
// that they are made again.
type material struct {
	cas          []*x509.Certificate // the bundle, signing CA first
	signing      *pki.KeyPair        // the CA that signs new serving certificates
	leaf         *x509.Certificate   // the serving certificate, when it matches its key
	leafPEM      []byte
	leafKeyPEM   []byte
	trusted      string // AnnotationCATrusted
	trustedSince time.Time
}

func load(s *corev1.Secret) material {
	var m material
	if s == nil {
		return m
	}
	m.trusted = s.Annotations[AnnotationCATrusted]
	m.trustedSince, _ = time.Parse(time.RFC3339, s.Annotations[AnnotationCATrustedSince])
	m.cas, _ = pki.ParseCerts(s.Data[KeyCABundle])
	if key, err := pki.ParseKey(s.Data[KeyCAKey]); err == nil {
		for _, ca := range m.cas {
			if ca.IsCA && key.PublicKey.Equal(ca.PublicKey) {
				m.signing = &pki.KeyPair{Cert: ca, Key: key}
				break
			}
		}
	}
	if pair, err := tls.X509KeyPair(s.Data[KeyTLSCert], s.Data[KeyTLSKey]); err == nil {
		m.leaf, m.leafPEM, m.leafKeyPEM = pair.Leaf, s.Data[KeyTLSCert], s.Data[KeyTLSKey]
	}
	return m
}

// bundle returns the CA bundle in PEM, signing CA first.
func (m *material) bundle() []byte {
	var b bytes.Buffer
	for _, ca := range m.cas {
		b.Write(pki.CertPEM(ca))
	}
	return b.Bytes()
}

// dropExpired removes expired CAs from the bundle (never the signing CA). It
// reports whether it removed any.
func (m *material) dropExpired(now time.Time) bool {
	n := len(m.cas)
	m.cas = slices.DeleteFunc(m.cas, func(ca *x509.Certificate) bool {
		return now.After(ca.NotAfter) && (m.signing == nil || !ca.Equal(m.signing.Cert))
	})
	return len(m.cas) != n
}

// leafUsable reports whether the serving certificate is valid now and signed by
// a CA in the bundle: the webhook can go on serving it.
func (m *material) leafUsable(now time.Time) bool {
	if m.leaf == nil || now.Before(m.leaf.NotBefore) || now.After(m.leaf.NotAfter) {
		return false
	}
	return slices.ContainsFunc(m.cas, func(ca *x509.Certificate) bool { return m.leaf.CheckSignatureFrom(ca) == nil })
}

// leafCurrent reports whether the serving certificate needs no renewal: signed
// by the signing CA, for exactly these names, and before half its lifetime.
func (m *material) leafCurrent(now time.Time, dnsNames []string, ips []net.IP, backdate time.Duration) bool {
	if m.leaf == nil || m.signing == nil || m.leaf.CheckSignatureFrom(m.signing.Cert) != nil {
		return false
	}
	if !slices.Equal(m.leaf.DNSNames, dnsNames) || !slices.EqualFunc(m.leaf.IPAddresses, ips, net.IP.Equal) {
		return false
	}
	return now.Before(renewAt(m.leaf, backdate))
}
