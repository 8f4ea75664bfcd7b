package checks

import (
	"context"
	"crypto/x509"
	"os"
	"time"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// prober runs one attempt of a check. probe must return when ctx is done.
// A prober is used by one goroutine at a time.
type prober interface {
	probe(ctx context.Context, obs *observation) error
}

// observation is what an attempt saw besides success or failure.
type observation struct {
	// httpStatus is the last HTTP status code received, 0 if none.
	httpStatus int
	// certExpiry is the earliest NotAfter of the peer's certificates, zero if
	// no certificate was seen.
	certExpiry time.Time
}

// recordCerts notes the earliest expiry among certs.
func (o *observation) recordCerts(certs []*x509.Certificate) {
	for _, c := range certs {
		if o.certExpiry.IsZero() || c.NotAfter.Before(o.certExpiry) {
			o.certExpiry = c.NotAfter
		}
	}
}

// proberEnv is what probers take from the sidecar around them.
type proberEnv struct {
	// lookupEnv reads the sidecar's environment (secrets named by *Env fields).
	lookupEnv func(string) (string, bool)
	// resolvConf is the resolv.conf whose first nameserver dns checks use by default.
	resolvConf string
	// now is the clock used for certificate expiry.
	now func() time.Time
}

// defaultProberEnv reads the real environment and /etc/resolv.conf.
func defaultProberEnv() proberEnv {
	return proberEnv{lookupEnv: os.LookupEnv, resolvConf: "/etc/resolv.conf", now: time.Now}
}

// newProbers builds the prober of each check type from a valid spec.Check; it
// has an entry for each of spec.Types().
var newProbers = map[spec.Type]func(spec.Check, proberEnv) (prober, error){
	spec.TypeHTTP: newHTTPProber,
	spec.TypeTCP:  newTCPProber,
	spec.TypeDNS:  newDNSProber,
	spec.TypeTLS:  newTLSProber,
	spec.TypeGRPC: newGRPCProber,
}
