package heartbeat

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzAuthorization feeds arbitrary Authorization headers and query strings to
// the authenticator: it never panics, and it answers OK exactly when the
// credential it extracts is the token.
func FuzzAuthorization(f *testing.F) {
	const token = "s3cret"
	f.Add("Bearer s3cret", "")
	f.Add("basic   s3cret  ", "")
	f.Add("Bearer", "token=s3cret")
	f.Add("Digest s3cret", "token=%zz&token=s3cret")
	f.Add("", ";;;=&token")
	a := newAuthenticator(token, false)
	f.Fuzz(func(t *testing.T, header, rawQuery string) {
		r := &http.Request{Header: http.Header{}, URL: &url.URL{Path: "/api/healthz/shop/deployment/web", RawQuery: rawQuery}}
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		cred := credential(r)
		got := a.check(r)
		switch {
		case cred == "" && got != authMissing:
			t.Fatalf("no credential from %q %q: got %v", header, rawQuery, got)
		case cred == token && got != authOK:
			t.Fatalf("the token from %q %q: got %v", header, rawQuery, got)
		case cred != "" && cred != token && got != authWrong:
			t.Fatalf("credential %q from %q %q: got %v", cred, header, rawQuery, got)
		}
	})
}
