package controlplane

import (
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/meshprobe/meshprobe/internal/pki"
)

// CA is a certificate authority that issues serving and client certificates.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// CertPEM is Cert, PEM-encoded, for kubeconfigs and caBundles.
	CertPEM []byte
	// KeyPEM is Key, PEM-encoded (for kube-controller-manager's CSR signer).
	KeyPEM []byte
}

// KeyPair is an issued certificate with its key, both PEM-encoded.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// issuer is the local cluster's profile: backdated an hour, leaves with the
// key usages kubeadm gives them, and CAs without a path length limit.
func issuer() pki.Issuer {
	return pki.Issuer{
		Backdate:         time.Hour,
		LeafKeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		UnconstrainedCAs: true,
	}
}

// NewCA creates a self-signed ECDSA P-256 CA named cn, valid for validity.
func NewCA(cn string, validity time.Duration) (*CA, error) {
	ca, err := issuer().NewCA(pkix.Name{CommonName: cn}, validity)
	if err != nil {
		return nil, fmt.Errorf("creating CA %q: %w", cn, err)
	}
	keyPEM, err := pki.ECKeyPEM(ca.Key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: ca.Cert, Key: ca.Key, CertPEM: pki.CertPEM(ca.Cert), KeyPEM: keyPEM}, nil
}

// IssueServing issues a serving certificate for the given DNS names and IPs.
func (ca *CA) IssueServing(cn string, dnsNames []string, ips []net.IP, validity time.Duration) (*KeyPair, error) {
	return encodeLeaf(issuer().IssueServing(ca.pair(), cn, dnsNames, ips, validity))
}

// IssueClient issues a client certificate for user cn in the given groups
// (the Organization field, as kube-apiserver reads it).
func (ca *CA) IssueClient(cn string, groups []string, validity time.Duration) (*KeyPair, error) {
	return encodeLeaf(issuer().IssueClient(ca.pair(), cn, groups, validity))
}

func (ca *CA) pair() pki.KeyPair { return pki.KeyPair{Cert: ca.Cert, Key: ca.Key} }

// encodeLeaf PEM-encodes a certificate the CA issued, with its key.
func encodeLeaf(leaf pki.KeyPair, err error) (*KeyPair, error) {
	if err != nil {
		return nil, err
	}
	keyPEM, err := pki.ECKeyPEM(leaf.Key)
	if err != nil {
		return nil, err
	}
	return &KeyPair{CertPEM: pki.CertPEM(leaf.Cert), KeyPEM: keyPEM}, nil
}

// Write stores the pair as dir/name.crt and dir/name.key and returns both paths.
func (kp *KeyPair) Write(dir, name string) (certPath, keyPath string, err error) {
	certPath = filepath.Join(dir, name+".crt")
	keyPath = filepath.Join(dir, name+".key")
	if err := os.WriteFile(certPath, kp.CertPEM, 0o600); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", certPath, err)
	}
	if err := os.WriteFile(keyPath, kp.KeyPEM, 0o600); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", keyPath, err)
	}
	return certPath, keyPath, nil
}

// NewSigningKey returns a PEM-encoded ECDSA P-256 private key and its public key,
// as kube-apiserver's --service-account-signing-key-file and --service-account-key-file want.
func NewSigningKey() (privPEM, pubPEM []byte, err error) {
	key, err := issuer().NewKey()
	if err != nil {
		return nil, nil, fmt.Errorf("service-account key: %w", err)
	}
	if privPEM, err = pki.ECKeyPEM(key); err != nil {
		return nil, nil, err
	}
	if pubPEM, err = pki.PublicKeyPEM(&key.PublicKey); err != nil {
		return nil, nil, err
	}
	return privPEM, pubPEM, nil
}
