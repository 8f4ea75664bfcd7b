package webhookcerts

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Config configures the built-in certificate mode. Start from DefaultConfig.
type Config struct {
	// Namespace holds the Secret and the webhook Service. Default contract.DefaultNamespace.
	Namespace string
	// SecretName is the Secret with the CA bundle and the serving certificate.
	// Default contract.WebhookTLSSecretName ("meshprobe-webhook-tls").
	SecretName string
	// WebhookConfigName is the MutatingWebhookConfiguration whose caBundle the
	// task keeps. Default contract.WebhookConfigName ("meshprobe").
	WebhookConfigName string
	// ServiceName is the webhook's Service; the serving certificate names
	// <service>.<namespace>.svc and <service>.<namespace>.svc.cluster.local.
	// Default contract.WebhookServiceName.
	ServiceName string
	// ExtraDNSNames and ExtraIPs are added to the serving certificate (for a
	// webhook reached by URL, e.g. in tests).
	ExtraDNSNames []string
	ExtraIPs      []net.IP
	// CAValidity is the CA's lifetime; a new CA is made at half of it. Default 8760h (1 year).
	CAValidity time.Duration
	// CertValidity is the serving certificate's lifetime; it is renewed at half
	// of it. Default 2160h (90 days).
	CertValidity time.Duration
	// Backdate moves NotBefore into the past, for clocks a little behind. Default 5m.
	Backdate time.Duration
	// Settle is how long a new CA must have been in the webhook configuration's
	// caBundle before a serving certificate it signed is used, so that the
	// apiserver trusts it by then. Default 30s.
	Settle time.Duration
	// Resync is the longest time between two checks. Default 1m.
	Resync time.Duration
	// Clock is the time source. Default the real clock.
	Clock clock.Clock
	// Rand is the source of key material. Default crypto/rand.
	Rand io.Reader
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{
		Namespace:         contract.DefaultNamespace,
		SecretName:        contract.WebhookTLSSecretName,
		WebhookConfigName: contract.WebhookConfigName,
		ServiceName:       contract.WebhookServiceName,
		CAValidity:        8760 * time.Hour,
		CertValidity:      2160 * time.Hour,
		Backdate:          5 * time.Minute,
		Settle:            30 * time.Second,
		Resync:            time.Minute,
		Clock:             clock.RealClock{},
		Rand:              rand.Reader,
	}
}

// RegisterFlags adds the --webhook-ca-validity and --webhook-cert-validity flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.CAValidity, "webhook-ca-validity", c.CAValidity,
		"built-in certificates: lifetime of the webhook CA; a new CA is made at half of it and the old one stays trusted until it expires")
	fs.DurationVar(&c.CertValidity, "webhook-cert-validity", c.CertValidity,
		"built-in certificates: lifetime of the webhook's serving certificate; it is renewed at half of it")
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	for what, name := range map[string]string{"namespace": c.Namespace, "service name": c.ServiceName} {
		if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
			return fmt.Errorf("webhookcerts: %s %q: %s", what, name, msgs[0])
		}
	}
	switch {
	case c.SecretName == "" || c.WebhookConfigName == "":
		return errors.New("webhookcerts: Secret and webhook configuration names must be set")
	case c.CAValidity <= 0 || c.CertValidity <= 0:
		return fmt.Errorf("webhookcerts: --webhook-ca-validity %s and --webhook-cert-validity %s must be positive", c.CAValidity, c.CertValidity)
	case c.CertValidity > c.CAValidity:
		return fmt.Errorf("webhookcerts: --webhook-cert-validity %s must not exceed --webhook-ca-validity %s", c.CertValidity, c.CAValidity)
	case c.Settle >= c.CAValidity/2:
		return fmt.Errorf("webhookcerts: settle time %s must be shorter than half the CA validity %s", c.Settle, c.CAValidity)
	case c.Backdate < 0 || c.Settle < 0 || c.Resync <= 0:
		return errors.New("webhookcerts: backdate and settle must not be negative, resync must be positive")
	case c.Clock == nil || c.Rand == nil:
		return errors.New("webhookcerts: Clock and Rand must be set (start from DefaultConfig)")
	}
	return nil
}

// dnsNames are the serving certificate's DNS names.
func (c *Config) dnsNames() []string {
	svc := c.ServiceName + "." + c.Namespace + ".svc"
	return append([]string{svc, svc + ".cluster.local"}, c.ExtraDNSNames...)
}
