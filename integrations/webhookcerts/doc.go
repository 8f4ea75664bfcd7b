// Package webhookcerts is meshprobe's built-in certificate mode for clusters
// without cert-manager, as Istio and Linkerd offer.
//
// The leader (Controller, a leader-only task) mints a CA and a serving
// certificate (ECDSA P-256, crypto/x509), keeps them in the Secret
// meshprobe-webhook-tls (ca.crt: the CA bundle; ca.key: the signing CA's key;
// tls.crt/tls.key: the serving certificate), and patches the caBundle of the
// MutatingWebhookConfiguration meshprobe. Each certificate is renewed at half its
// lifetime. A new CA is first added to the bundle next to the old one; only once
// the apiserver has had the new bundle for a settle time is the serving
// certificate signed by the new CA, and the old CA stays in the bundle until it
// expires, so replicas still serving the old certificate are trusted throughout.
//
// Every replica hot-reloads the serving certificate: in a cluster from the
// mounted Secret through controller-runtime's certwatcher; where no kubelet
// updates files (tests, local runs), Syncer watches the Secret and writes
// tls.crt, tls.key and ca.crt into the certificate directory atomically.
package webhookcerts
