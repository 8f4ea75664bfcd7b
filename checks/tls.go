package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// tlsProber does a TLS handshake and checks the certificate's expiry.
type tlsProber struct {
	spec     spec.Check
	env      proberEnv
	verifier *tlsVerifier
}

// newTLSProber builds the prober of a valid tls spec.
func newTLSProber(s spec.Check, env proberEnv) (prober, error) {
	return &tlsProber{spec: s, env: env, verifier: newTLSVerifier(s.TLS)}, nil
}

// probe handshakes; the peer's certificates are recorded even when they fail
// verification, so the expiry gauge shows an expired certificate.
func (t *tlsProber) probe(ctx context.Context, obs *observation) error {
	cfg := t.verifier.config(t.verifier.serverName(t.spec.Address), obs.recordCerts)
	d := &tls.Dialer{NetDialer: &net.Dialer{KeepAlive: -1}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", t.spec.Address)
	if err != nil {
		return err
	}
	_ = conn.Close()
	left := obs.certExpiry.Sub(t.env.now())
	switch {
	case left <= 0:
		return fmt.Errorf("certificate expired at %s", obs.certExpiry.UTC().Format(time.RFC3339))
	case left < t.spec.MinValidity.D():
		return fmt.Errorf("certificate expires at %s, within minValidity %s",
			obs.certExpiry.UTC().Format(time.RFC3339), t.spec.MinValidity)
	}
	return nil
}
