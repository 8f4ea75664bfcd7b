package spec

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// httpMethods are the methods an http check may use.
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// httpDefaults fills the http defaults.
func httpDefaults(s *Check) {
	if s.Method == "" {
		s.Method = DefaultHTTPMethod
	}
	if s.ExpectStatus == "" {
		s.ExpectStatus = DefaultExpectStatus
	}
	if s.FollowRedirects == nil {
		follow := true
		s.FollowRedirects = &follow
	}
}

// validateHTTP checks the http fields.
func validateHTTP(s *Check, p *problems) {
	if requireField(p, "url", s.URL, TypeHTTP) {
		validHTTPURL(p, s.URL)
	}
	if !slices.Contains(httpMethods, s.Method) {
		p.add("method", "unknown method %q: want one of %s", s.Method, strings.Join(httpMethods, ", "))
	}
	validHeaders(p, s.Headers)
	validRegex(p, "expectStatus", s.ExpectStatus)
	validRegex(p, "expectBody", s.ExpectBody)
	validHTTPAuth(p, s)
	validTLS(p, s.TLS)
}

// validHTTPURL checks an http(s) URL without inline credentials.
func validHTTPURL(p *problems, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		p.add("url", "invalid URL %q: %s", raw, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		p.add("url", "scheme of %q must be http or https", raw)
	case u.Host == "":
		p.add("url", "%q has no host", raw)
	case u.User != nil:
		p.add("url", "must not contain credentials: use basicAuth with passwordFile or passwordEnv")
	}
}

// validHeaders checks header names and values; secrets may not be inlined.
func validHeaders(p *problems, headers map[string]string) {
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		field := "headers." + k
		switch {
		case !isHeaderToken(k):
			p.add(field, "invalid header name %q", k)
		case strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization"):
			p.add(field, "secrets never go inline: use basicAuth or bearerTokenFile/bearerTokenEnv")
		case strings.ContainsAny(headers[k], "\r\n\x00"):
			p.add(field, "header value contains a control character")
		}
	}
}

// isHeaderToken reports whether s is a valid HTTP header field name (RFC 9110 token).
func isHeaderToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}

// validHTTPAuth checks basicAuth and the bearer token sources.
func validHTTPAuth(p *problems, s *Check) {
	if s.BearerTokenFile != "" && s.BearerTokenEnv != "" {
		p.add("bearerTokenFile", "set bearerTokenFile or bearerTokenEnv, not both")
	}
	validFile(p, "bearerTokenFile", s.BearerTokenFile)
	validEnv(p, "bearerTokenEnv", s.BearerTokenEnv)
	a := s.BasicAuth
	if a == nil {
		return
	}
	if s.BearerTokenFile != "" || s.BearerTokenEnv != "" {
		p.add("basicAuth", "set basicAuth or a bearer token, not both")
	}
	if a.Username == "" {
		p.add("basicAuth.username", "required")
	}
	switch {
	case a.PasswordFile == "" && a.PasswordEnv == "":
		p.add("basicAuth", "want passwordFile or passwordEnv")
	case a.PasswordFile != "" && a.PasswordEnv != "":
		p.add("basicAuth", "set passwordFile or passwordEnv, not both")
	}
	validFile(p, "basicAuth.passwordFile", a.PasswordFile)
	validEnv(p, "basicAuth.passwordEnv", a.PasswordEnv)
}
