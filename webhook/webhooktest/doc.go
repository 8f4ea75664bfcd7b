// Package webhooktest provides test helpers for the webhook: a throwaway CA and
// serving certificates written the way cert-manager writes them (tls.crt, tls.key
// and ca.crt in one directory).
package webhooktest
