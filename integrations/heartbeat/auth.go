package heartbeat

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// authResult is the outcome of checking a request's credentials.
type authResult int

const (
	authOK      authResult = iota
	authMissing            // no credential: 401
	authWrong              // a credential that does not match: 403
)

// authenticator checks the token of k8s-heartbeat's AUTH_TOKEN_BASIC. It keeps only
// the SHA-256 of the token and compares digests in constant time, so neither the
// token's content nor its length leaks through timing.
type authenticator struct {
	disabled bool
	digest   [sha256.Size]byte
}

func newAuthenticator(token string, disabled bool) authenticator {
	if disabled {
		return authenticator{disabled: true}
	}
	return authenticator{digest: sha256.Sum256([]byte(token))}
}

// check looks for the token in the Authorization header (Basic or Bearer scheme,
// the credential compared as sent, like k8s-heartbeat) and then in ?token=.
func (a authenticator) check(r *http.Request) authResult {
	if a.disabled {
		return authOK
	}
	cred := credential(r)
	if cred == "" {
		return authMissing
	}
	sum := sha256.Sum256([]byte(cred))
	if subtle.ConstantTimeCompare(sum[:], a.digest[:]) != 1 {
		return authWrong
	}
	return authOK
}

func credential(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Basic") || strings.EqualFold(scheme, "Bearer") {
			if v := strings.TrimSpace(value); v != "" {
				return v
			}
		}
	}
	if r.URL.RawQuery == "" {
		return ""
	}
	return r.URL.Query().Get("token")
}
