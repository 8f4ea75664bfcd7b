package webhookcerts

import (
	"crypto/rand"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/pki"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func mustCA(t *testing.T, now time.Time, validity time.Duration) pki.KeyPair {
	t.Helper()
	ca, err := newCA(rand.Reader, now, validity, time.Minute)
	require.NoError(t, err)
	return ca
}

func TestNewCAAndLeaf(t *testing.T) {
	ca := mustCA(t, t0, 10*time.Hour)
	assert.True(t, ca.Cert.IsCA)
	assert.Equal(t, t0.Add(-time.Minute), ca.Cert.NotBefore)
	assert.Equal(t, t0.Add(10*time.Hour), ca.Cert.NotAfter)
	assert.Equal(t, t0.Add(5*time.Hour), renewAt(ca.Cert, time.Minute), "renewed at half its lifetime, counted from issue")

	names := []string{"meshprobe-webhook.meshprobe-system.svc", "x.example"}
	ips := []net.IP{net.ParseIP("127.0.0.1")}
	leaf, err := newLeaf(rand.Reader, ca, names, ips, t0.Add(8*time.Hour), 4*time.Hour, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, ca.Cert.NotAfter, leaf.Cert.NotAfter, "a serving certificate never outlives its CA")
	assert.Equal(t, names, leaf.Cert.DNSNames)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.Cert.ExtKeyUsage)
	require.NoError(t, leaf.Cert.CheckSignatureFrom(ca.Cert))

	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	_, err = leaf.Cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: names[0], CurrentTime: t0.Add(9 * time.Hour)})
	require.NoError(t, err, "a TLS client trusting the CA accepts the serving certificate")
}

func TestFingerprint(t *testing.T) {
	a, b := mustCA(t, t0, time.Hour), mustCA(t, t0, time.Hour)
	assert.Len(t, fingerprint(a.Cert), 16, "8 bytes in hex")
	assert.Equal(t, fingerprint(a.Cert), fingerprint(a.Cert))
	assert.NotEqual(t, fingerprint(a.Cert), fingerprint(b.Cert))
}

// secretOf builds a Secret the way the controller writes it.
func secretOf(t *testing.T, cas []pki.KeyPair, signing pki.KeyPair, leaf pki.KeyPair) *corev1.Secret {
	t.Helper()
	m := material{signing: &signing}
	for _, ca := range cas {
		m.cas = append(m.cas, ca.Cert)
	}
	caKey, err := pki.KeyPEM(signing.Key)
	require.NoError(t, err)
	leafKey, err := pki.KeyPEM(leaf.Key)
	require.NoError(t, err)
	return &corev1.Secret{Data: map[string][]byte{KeyCABundle: m.bundle(), KeyCAKey: caKey, KeyTLSCert: pki.CertPEM(leaf.Cert), KeyTLSKey: leafKey}}
}

func TestLoadAndLeafState(t *testing.T) {
	oldCA, newCA := mustCA(t, t0.Add(-10*time.Hour), 12*time.Hour), mustCA(t, t0, 12*time.Hour)
	names := []string{"svc.ns.svc"}
	oldLeaf, err := newLeaf(rand.Reader, oldCA, names, nil, t0.Add(-time.Hour), 4*time.Hour, time.Minute)
	require.NoError(t, err)

	m := load(secretOf(t, []pki.KeyPair{newCA, oldCA}, newCA, oldLeaf))
	require.NotNil(t, m.signing)
	assert.True(t, m.signing.Cert.Equal(newCA.Cert), "the signing CA is the one whose key the Secret holds")
	assert.Len(t, m.cas, 2)
	assert.True(t, m.leafUsable(t0), "the old serving certificate is still trusted through the old CA")
	assert.False(t, m.leafCurrent(t0, names, nil, time.Minute), "but it is due: not signed by the signing CA")

	assert.False(t, m.dropExpired(t0), "the old CA has not expired yet")
	assert.True(t, m.dropExpired(t0.Add(3*time.Hour)), "an expired CA leaves the bundle")
	assert.Len(t, m.cas, 1)
	assert.False(t, m.leafUsable(t0), "without its CA the old certificate cannot be served")

	fresh, err := newLeaf(rand.Reader, newCA, names, nil, t0, 4*time.Hour, time.Minute)
	require.NoError(t, err)
	m = load(secretOf(t, []pki.KeyPair{newCA}, newCA, fresh))
	assert.True(t, m.leafCurrent(t0.Add(time.Hour), names, nil, time.Minute))
	assert.False(t, m.leafCurrent(t0.Add(3*time.Hour), names, nil, time.Minute), "past half its lifetime")
	assert.False(t, m.leafCurrent(t0, []string{"other.ns.svc"}, nil, time.Minute), "names changed")
	assert.False(t, m.leafCurrent(t0, names, []net.IP{net.ParseIP("127.0.0.1")}, time.Minute), "IPs changed")
}

func TestLoadDamagedSecret(t *testing.T) {
	ca := mustCA(t, t0, time.Hour)
	leaf, err := newLeaf(rand.Reader, ca, []string{"a"}, nil, t0, time.Hour, 0)
	require.NoError(t, err)
	s := secretOf(t, []pki.KeyPair{ca}, ca, leaf)
	other := mustCA(t, t0, time.Hour)
	s.Data[KeyTLSKey], err = pki.KeyPEM(other.Key)
	require.NoError(t, err)
	s.Data[KeyCAKey] = []byte("junk")
	m := load(s)
	assert.Nil(t, m.leaf, "a certificate without its key is not used")
	assert.Nil(t, m.signing, "a bundle without the CA key cannot sign")
	assert.Len(t, m.cas, 1, "the bundle is kept: its CAs stay trusted")
	assert.Equal(t, material{}, load(nil))
}

func TestConfigValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"bad namespace":              func(c *Config) { c.Namespace = "Not_A_Namespace" },
		"cert outlives CA":           func(c *Config) { c.CertValidity = 2 * c.CAValidity },
		"zero CA validity":           func(c *Config) { c.CAValidity = 0 },
		"settle longer than overlap": func(c *Config) { c.Settle = c.CAValidity },
		"no clock":                   func(c *Config) { c.Clock = nil },
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			mutate(&c)
			assert.Error(t, c.Validate())
		})
	}
	d := DefaultConfig()
	require.NoError(t, d.Validate())
	assert.Equal(t, []string{"meshprobe-webhook.meshprobe-system.svc", "meshprobe-webhook.meshprobe-system.svc.cluster.local"}, d.dnsNames())
}

// FuzzLoad: whatever a Secret holds, loading it never panics.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), []byte("junk"), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, bundle, caKey, crt, key []byte) {
		m := load(&corev1.Secret{Data: map[string][]byte{KeyCABundle: bundle, KeyCAKey: caKey, KeyTLSCert: crt, KeyTLSKey: key}})
		_ = m.leafUsable(t0)
		_ = m.leafCurrent(t0, nil, nil, 0)
	})
}
