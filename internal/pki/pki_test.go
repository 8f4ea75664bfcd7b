package pki_test

import (
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/pki"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// at is an Issuer whose clock stands at now.
func at(now time.Time, backdate time.Duration) pki.Issuer {
	return pki.Issuer{At: now, Backdate: backdate}
}

func mustCA(t *testing.T, is pki.Issuer, validity time.Duration) pki.KeyPair {
	t.Helper()
	ca, err := is.NewCA(pkix.Name{CommonName: "test-ca", Organization: []string{"meshprobe"}}, validity)
	require.NoError(t, err)
	return ca
}

func verify(ca pki.KeyPair, leaf *x509.Certificate, at time.Time, dnsName string, usage x509.ExtKeyUsage) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: dnsName, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}

// assertKeyAndSerial checks what every issued certificate has: a P-256 key
// that matches it, and a positive serial number of at most 128 bits.
func assertKeyAndSerial(t *testing.T, kp pki.KeyPair) {
	t.Helper()
	assert.Equal(t, elliptic.P256(), kp.Key.Curve)
	assert.True(t, kp.Key.PublicKey.Equal(kp.Cert.PublicKey), "the key belongs to the certificate")
	assert.Equal(t, 1, kp.Cert.SerialNumber.Sign())
	assert.LessOrEqual(t, kp.Cert.SerialNumber.BitLen(), 128)
}

func TestNewCA(t *testing.T) {
	ca := mustCA(t, at(t0, time.Minute), 10*time.Hour)
	assertKeyAndSerial(t, ca)
	assert.True(t, ca.Cert.IsCA)
	assert.True(t, ca.Cert.BasicConstraintsValid)
	assert.True(t, ca.Cert.MaxPathLenZero, "by default a CA signs leaves only")
	assert.Equal(t, x509.KeyUsageCertSign|x509.KeyUsageCRLSign|x509.KeyUsageDigitalSignature, ca.Cert.KeyUsage)
	assert.Equal(t, "test-ca", ca.Cert.Subject.CommonName)
	assert.Equal(t, []string{"meshprobe"}, ca.Cert.Subject.Organization)
	assert.Equal(t, t0.Add(-time.Minute), ca.Cert.NotBefore, "backdated")
	assert.Equal(t, t0.Add(10*time.Hour), ca.Cert.NotAfter, "valid for validity from the issue time")
	require.NoError(t, ca.Cert.CheckSignatureFrom(ca.Cert), "self-signed")

	open := mustCA(t, pki.Issuer{UnconstrainedCAs: true}, time.Hour)
	assert.False(t, open.Cert.MaxPathLenZero)
	assert.Equal(t, -1, open.Cert.MaxPathLen, "no path length constraint")
}

func TestIssueServing(t *testing.T) {
	is := at(t0, time.Minute)
	ca := mustCA(t, is, 10*time.Hour)
	names := []string{"svc.ns.svc", "svc.ns.svc.cluster.local"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.ParseIP("::1")}
	leaf, err := is.IssueServing(ca, "svc", names, ips, 4*time.Hour)
	require.NoError(t, err)
	assertKeyAndSerial(t, leaf)
	assert.False(t, leaf.Cert.IsCA)
	assert.Equal(t, "svc", leaf.Cert.Subject.CommonName)
	assert.Equal(t, names, leaf.Cert.DNSNames)
	assert.Len(t, leaf.Cert.IPAddresses, 2)
	for i, ip := range ips {
		assert.True(t, ip.Equal(leaf.Cert.IPAddresses[i]), "IP %s", ip)
	}
	assert.Equal(t, x509.KeyUsageDigitalSignature, leaf.Cert.KeyUsage)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.Cert.ExtKeyUsage)
	assert.Equal(t, t0.Add(-time.Minute), leaf.Cert.NotBefore)
	assert.Equal(t, t0.Add(4*time.Hour), leaf.Cert.NotAfter)

	now := t0.Add(time.Hour)
	require.NoError(t, verify(ca, leaf.Cert, now, names[1], x509.ExtKeyUsageServerAuth))
	require.NoError(t, verify(ca, leaf.Cert, now, "::1", x509.ExtKeyUsageServerAuth))
	assert.Error(t, verify(ca, leaf.Cert, now, "other.ns.svc", x509.ExtKeyUsageServerAuth), "a name it was not issued for")
	assert.Error(t, verify(ca, leaf.Cert, now, "", x509.ExtKeyUsageClientAuth), "not a client certificate")
	assert.Error(t, verify(ca, leaf.Cert, t0.Add(-2*time.Minute), "", x509.ExtKeyUsageServerAuth), "before the backdated NotBefore")
	assert.NoError(t, verify(ca, leaf.Cert, t0.Add(-30*time.Second), "", x509.ExtKeyUsageServerAuth), "within the backdate")
	other := mustCA(t, is, time.Hour)
	assert.Error(t, verify(other, leaf.Cert, now, "", x509.ExtKeyUsageServerAuth), "signed by another CA")
}

func TestIssueClient(t *testing.T) {
	is := at(t0, time.Hour)
	ca := mustCA(t, is, 10*time.Hour)
	leaf, err := is.IssueClient(ca, "meshprobe-admin", []string{"system:masters", "devs"}, time.Hour)
	require.NoError(t, err)
	assertKeyAndSerial(t, leaf)
	assert.Equal(t, "meshprobe-admin", leaf.Cert.Subject.CommonName)
	assert.ElementsMatch(t, []string{"system:masters", "devs"}, leaf.Cert.Subject.Organization, "groups, as kube-apiserver reads them")
	assert.Empty(t, leaf.Cert.DNSNames)
	assert.Empty(t, leaf.Cert.IPAddresses)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, leaf.Cert.ExtKeyUsage)
	assert.Equal(t, t0.Add(-time.Hour), leaf.Cert.NotBefore)

	require.NoError(t, verify(ca, leaf.Cert, t0, "", x509.ExtKeyUsageClientAuth))
	assert.Error(t, verify(ca, leaf.Cert, t0, "", x509.ExtKeyUsageServerAuth), "not a serving certificate")
	assert.Error(t, verify(ca, leaf.Cert, t0.Add(2*time.Hour), "", x509.ExtKeyUsageClientAuth), "expired")
}

func TestLeafNeverOutlivesCA(t *testing.T) {
	ca := mustCA(t, at(t0, 0), 10*time.Hour)
	leaf, err := at(t0.Add(8*time.Hour), 0).IssueServing(ca, "a", []string{"a"}, nil, 4*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, ca.Cert.NotAfter, leaf.Cert.NotAfter)
}

func TestLeafKeyUsage(t *testing.T) {
	is := pki.Issuer{LeafKeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	ca := mustCA(t, is, time.Hour)
	assert.Equal(t, x509.KeyUsageCertSign|x509.KeyUsageCRLSign|x509.KeyUsageDigitalSignature, ca.Cert.KeyUsage, "CAs keep theirs")
	for name, issue := range map[string]func() (pki.KeyPair, error){
		"serving": func() (pki.KeyPair, error) { return is.IssueServing(ca, "a", []string{"a"}, nil, time.Hour) },
		"client":  func() (pki.KeyPair, error) { return is.IssueClient(ca, "a", nil, time.Hour) },
	} {
		t.Run(name, func(t *testing.T) {
			leaf, err := issue()
			require.NoError(t, err)
			assert.Equal(t, is.LeafKeyUsage, leaf.Cert.KeyUsage)
		})
	}
}

func TestZeroIssuerUsesTheRealClock(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	ca := mustCA(t, pki.Issuer{}, time.Hour)
	assert.False(t, ca.Cert.NotBefore.Before(before))
	assert.False(t, ca.Cert.NotBefore.After(time.Now()))
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestRandErrors(t *testing.T) {
	ca := mustCA(t, pki.Issuer{}, time.Hour)
	is := pki.Issuer{Rand: failingReader{}}
	_, err := is.NewCA(pkix.Name{CommonName: "x"}, time.Hour)
	assert.ErrorContains(t, err, "no entropy")
	_, err = is.IssueServing(ca, "a", []string{"a"}, nil, time.Hour)
	assert.ErrorContains(t, err, "no entropy")
	_, err = is.IssueClient(ca, "a", nil, time.Hour)
	assert.ErrorContains(t, err, "no entropy")
}

func TestPEMRoundTrip(t *testing.T) {
	a, b := mustCA(t, pki.Issuer{}, time.Hour), mustCA(t, pki.Issuer{}, time.Hour)
	pkcs8, err := pki.KeyPEM(a.Key)
	require.NoError(t, err)
	sec1, err := pki.ECKeyPEM(a.Key)
	require.NoError(t, err)
	assert.Equal(t, "PRIVATE KEY", decode(t, pkcs8).Type)
	assert.Equal(t, "EC PRIVATE KEY", decode(t, sec1).Type)
	assert.Equal(t, "CERTIFICATE", decode(t, pki.CertPEM(a.Cert)).Type)

	bundle := append(append(pki.CertPEM(a.Cert), pkcs8...), pki.CertPEM(b.Cert)...)
	certs, err := pki.ParseCerts(bundle)
	require.NoError(t, err)
	require.Len(t, certs, 2, "other blocks are skipped")
	assert.True(t, certs[0].Equal(a.Cert))
	assert.True(t, certs[1].Equal(b.Cert))

	for name, data := range map[string][]byte{
		"PKCS #8":             pkcs8,
		"SEC 1":               sec1,
		"after EC PARAMETERS": append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8}}), sec1...),
	} {
		t.Run(name, func(t *testing.T) {
			k, err := pki.ParseKey(data)
			require.NoError(t, err)
			assert.True(t, k.Equal(a.Key))
		})
	}

	pub, err := pki.PublicKeyPEM(&a.Key.PublicKey)
	require.NoError(t, err)
	block := decode(t, pub)
	assert.Equal(t, "PUBLIC KEY", block.Type)
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	require.NoError(t, err)
	assert.True(t, a.Key.PublicKey.Equal(parsed))
}

func decode(t *testing.T, data []byte) *pem.Block {
	t.Helper()
	block, rest := pem.Decode(data)
	require.NotNil(t, block)
	assert.Empty(t, rest, "one block")
	return block
}

func TestParseErrors(t *testing.T) {
	ca := mustCA(t, pki.Issuer{}, time.Hour)
	certPEM := pki.CertPEM(ca.Cert)
	keyPEM, err := pki.KeyPEM(ca.Key)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	require.NoError(t, err)
	block := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }

	for name, tc := range map[string]struct {
		parse func([]byte) error
		data  []byte
		want  string
	}{
		"certs: nothing":        {parseCerts, nil, "pki: no certificate in PEM data"},
		"certs: garbage":        {parseCerts, []byte("garbage"), "pki: no certificate in PEM data"},
		"certs: a key":          {parseCerts, keyPEM, "pki: no certificate in PEM data: found PRIVATE KEY"},
		"certs: bad DER":        {parseCerts, append(certPEM, block("CERTIFICATE", []byte("junk"))...), "pki: parsing certificate 2: "},
		"key: nothing":          {parseKey, nil, "pki: no PEM key (PRIVATE KEY or EC PRIVATE KEY) in data"},
		"key: garbage":          {parseKey, []byte("garbage"), "pki: no PEM key"},
		"key: a certificate":    {parseKey, certPEM, "pki: no PEM key (PRIVATE KEY or EC PRIVATE KEY) in data: found CERTIFICATE"},
		"key: RSA type":         {parseKey, block("RSA PRIVATE KEY", []byte("junk")), "found RSA PRIVATE KEY"},
		"key: bad PKCS #8":      {parseKey, block("PRIVATE KEY", []byte("junk")), "pki: parsing a PRIVATE KEY: "},
		"key: bad SEC 1":        {parseKey, block("EC PRIVATE KEY", []byte("junk")), "pki: parsing an EC PRIVATE KEY: "},
		"key: not ECDSA":        {parseKey, block("PRIVATE KEY", edDER), "pki: the PRIVATE KEY is ed25519.PrivateKey, want an ECDSA key"},
		"key: PKCS #8 as SEC 1": {parseKey, block("EC PRIVATE KEY", edDER), "pki: parsing an EC PRIVATE KEY: "},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.parse(tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func parseCerts(data []byte) error { _, err := pki.ParseCerts(data); return err }
func parseKey(data []byte) error   { _, err := pki.ParseKey(data); return err }

// FuzzParse: whatever the PEM data, parsing never panics, and a success
// returns something usable.
func FuzzParse(f *testing.F) {
	ca, err := pki.Issuer{}.NewCA(pkix.Name{CommonName: "seed"}, time.Hour)
	require.NoError(f, err)
	keyPEM, err := pki.KeyPEM(ca.Key)
	require.NoError(f, err)
	f.Add(pki.CertPEM(ca.Cert))
	f.Add(keyPEM)
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMIIB\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if certs, err := pki.ParseCerts(data); err == nil {
			require.NotEmpty(t, certs)
		}
		if k, err := pki.ParseKey(data); err == nil {
			require.NotNil(t, k)
		}
	})
}
