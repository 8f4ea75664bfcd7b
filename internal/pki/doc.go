// Package pki makes the ECDSA P-256 keys and X.509 certificates meshprobe
// needs without cert-manager: a self-signed CA, serving certificates (DNS
// names and IPs, server auth) and client certificates (a user and its groups,
// client auth), with 128-bit random serial numbers, and reads and writes them
// as PEM.
//
// An Issuer carries what makes issuing testable and what differs between its
// users: the source of randomness, the clock, how far NotBefore is backdated,
// and the key usage of leaves. Its zero value uses crypto/rand and the real
// clock.
//
// It backs the webhook's built-in certificate mode (integrations/webhookcerts)
// and the local control plane's PKI (internal/testkit/localcluster/controlplane).
package pki
