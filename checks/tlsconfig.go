package checks

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// tlsVerifier verifies peers the way a check's tls block says. It reads the CA
// file again when the file changes, so rotated CAs apply without a reload.
type tlsVerifier struct {
	opts spec.TLSOptions
	mu   sync.Mutex
	ca   *x509.CertPool
	// caStamp is the size and mtime of the CA file that ca was read from.
	caStamp string
}

// newTLSVerifier returns a verifier for o (nil means defaults: system roots).
func newTLSVerifier(o *spec.TLSOptions) *tlsVerifier {
	v := &tlsVerifier{}
	if o != nil {
		v.opts = *o
	}
	return v
}

// serverName is the name to verify for a connection to addr.
func (v *tlsVerifier) serverName(addr string) string {
	if v.opts.ServerName != "" {
		return v.opts.ServerName
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// config returns a client config for serverName. record, when not nil, sees the
// peer's certificates before they are verified, so expiry is known even when
// verification fails.
func (v *tlsVerifier) config(serverName string, record func([]*x509.Certificate)) *tls.Config {
	return &tls.Config{
		ServerName:         serverName,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // VerifyConnection below verifies unless the check says not to.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if record != nil {
				record(cs.PeerCertificates)
			}
			if v.opts.InsecureSkipVerify {
				return nil
			}
			return v.verify(cs.PeerCertificates, serverName)
		},
	}
}

// verify checks the chain against the roots and the name.
func (v *tlsVerifier) verify(certs []*x509.Certificate, serverName string) error {
	if len(certs) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	roots, err := v.roots()
	if err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err = certs[0].Verify(x509.VerifyOptions{DNSName: serverName, Roots: roots, Intermediates: inter})
	return err
}

// roots returns the CA pool of caFile, or nil for the system roots.
func (v *tlsVerifier) roots() (*x509.CertPool, error) {
	if v.opts.CAFile == "" {
		return nil, nil
	}
	fi, err := os.Stat(v.opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls.caFile: %w", err)
	}
	stamp := fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano())
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ca != nil && stamp == v.caStamp {
		return v.ca, nil
	}
	pem, err := os.ReadFile(v.opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls.caFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls.caFile: no PEM certificates in %s", v.opts.CAFile)
	}
	v.ca, v.caStamp = pool, stamp
	return pool, nil
}
