package checks

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// tlsServerConfig serves cert.
func tlsServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// tlsListener serves TLS with cert on a local port until the test ends: it
// completes the handshake and closes.
func tlsListener(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", tlsServerConfig(cert))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				_ = c.(*tls.Conn).Handshake()
				_ = c.Close()
			}(c)
		}
	}()
	return l.Addr().String()
}

func TestTLSCheck(t *testing.T) {
	pki := newTestPKI(t)
	valid := tlsListener(t, pki.validCert(t))
	expired := tlsListener(t, pki.expiredCert(t))
	soon := tlsListener(t, pki.serverCert(t, time.Now().Add(-time.Hour), time.Now().Add(48*time.Hour)))

	tests := []struct {
		name    string
		spec    string
		result  string
		errHas  string
		expires time.Duration // expected time left on the cert, 0 for none seen
	}{
		{"valid", "address: " + valid + "\n  tls: {caFile: " + pki.caFile + "}", ResultSuccess, "", 30 * 24 * time.Hour},
		{"unknown CA", "address: " + valid, ResultFailure, "certificate signed by unknown authority", 30 * 24 * time.Hour},
		{"expired", "address: " + expired + "\n  tls: {caFile: " + pki.caFile + "}", ResultFailure, "certificate has expired", -time.Hour},
		{"expired, verify off", "address: " + expired + "\n  tls: {insecureSkipVerify: true}", ResultFailure, "certificate expired at", -time.Hour},
		{"within minValidity", "address: " + soon + "\n  minValidity: 72h\n  tls: {caFile: " + pki.caFile + "}", ResultFailure,
			"within minValidity 72h0m0s", 48 * time.Hour},
		{"outside minValidity", "address: " + valid + "\n  minValidity: 72h\n  tls: {caFile: " + pki.caFile + "}", ResultSuccess, "", 30 * 24 * time.Hour},
		{"refused", "address: " + freeport.Addr(t), ResultFailure, "connection refused", 0},
		{"timeout", "address: " + silentListener(t) + "\n  timeout: 300ms", ResultTimeout, "timed out after 300ms", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := runSpec(t, "- name: c\n  type: tls\n  "+tc.spec, testEnv(nil))
			assert.Equal(t, tc.result, rec.result, "err: %v", rec.err)
			if tc.errHas == "" {
				assert.NoError(t, rec.err)
			} else {
				require.Error(t, rec.err)
				assert.Contains(t, rec.err.Error(), tc.errHas)
			}
			if tc.expires == 0 {
				assert.True(t, rec.obs.certExpiry.IsZero())
			} else {
				assert.WithinDuration(t, time.Now().Add(tc.expires), rec.obs.certExpiry, 2*time.Minute)
			}
		})
	}
}
