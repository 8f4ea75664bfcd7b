package checks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// testPKI is a throwaway CA that issues server certificates for 127.0.0.1 and
// localhost with any validity.
type testPKI struct {
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	// caFile is the CA certificate as a PEM file.
	caFile string
}

// newTestPKI makes a CA valid for a day either side of now.
func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "meshprobe test CA"},
		NotBefore:             time.Now().Add(-24 * time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return &testPKI{caCert: cert, caKey: key, caFile: file}
}

// serverCert issues a certificate valid from notBefore to notAfter.
func (p *testPKI) serverCert(t *testing.T, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// validCert is a certificate valid for the next 30 days.
func (p *testPKI) validCert(t *testing.T) tls.Certificate {
	return p.serverCert(t, time.Now().Add(-time.Hour), time.Now().Add(30*24*time.Hour))
}

// expiredCert is a certificate that expired an hour ago.
func (p *testPKI) expiredCert(t *testing.T) tls.Certificate {
	return p.serverCert(t, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
}

// silentListener accepts connections and never answers, until the test ends.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

// testEnv is a proberEnv with the given environment.
func testEnv(env map[string]string) proberEnv {
	return proberEnv{
		lookupEnv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		resolvConf: "/nonexistent/resolv.conf",
		now:        time.Now,
	}
}

// runSpec parses one check (YAML) and runs it once the way the Manager does:
// all attempts within the timeout.
func runSpec(t *testing.T, yamlSpec string, env proberEnv) runRecord {
	t.Helper()
	specs, err := spec.Parse([]byte(yamlSpec))
	require.NoError(t, err)
	require.Len(t, specs, 1)
	s := specs[0]
	p, err := newProbers[s.Type](s, env)
	require.NoError(t, err)
	r := &runner{spec: s, prober: p, state: newCheckState(s), sched: testScheduler(4)}
	return r.attempts(t.Context())
}

// testScheduler is a scheduler with n slots, no membership and a silent logger.
func testScheduler(n int) *scheduler {
	return &scheduler{slots: make(chan struct{}, n), logger: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
}

// gatherCount gathers g and counts the series of the metric name. It gathers
// rather than collects (testutil.CollectAndCount) because meshprobe_check_info
// comes from an unchecked collector, which a pedantic registry refuses.
func gatherCount(t *testing.T, g prometheus.Gatherer, name string) int {
	t.Helper()
	n, err := testutil.GatherAndCount(g, name)
	require.NoError(t, err)
	return n
}
