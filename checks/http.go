package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/buildinfo"
)

// Limits of the http check.
const (
	maxHTTPRedirects   = 10
	maxHTTPBodyBytes   = 1 << 20
	maxHTTPHeaderBytes = 64 << 10
)

// httpProber runs http checks. Every run opens a new connection, so each run
// measures the whole exchange and no idle connections pile up.
type httpProber struct {
	spec         spec.Check
	env          proberEnv
	client       *http.Client
	expectStatus *regexp.Regexp
	expectBody   *regexp.Regexp
	userAgent    string
}

// newHTTPProber builds the prober of a valid http spec.
func newHTTPProber(s spec.Check, env proberEnv) (prober, error) {
	h := &httpProber{spec: s, env: env, expectStatus: regexp.MustCompile(s.ExpectStatus),
		userAgent: "meshprobe/" + buildinfo.Version()}
	if s.ExpectBody != "" {
		h.expectBody = regexp.MustCompile(s.ExpectBody)
	}
	verifier := newTLSVerifier(s.TLS)
	dialer := &net.Dialer{KeepAlive: -1}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		DialTLSContext:         tlsDialer(dialer, verifier),
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: maxHTTPHeaderBytes,
	}
	h.client = &http.Client{Transport: transport, CheckRedirect: redirectPolicy(*s.FollowRedirects)}
	return h, nil
}

// tlsDialer dials TLS verifying each target's own name (redirects may change it).
func tlsDialer(d *net.Dialer, v *tlsVerifier) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := v.config(v.serverName(addr), nil)
		cfg.NextProtos = []string{"http/1.1"}
		conn := tls.Client(raw, cfg)
		if err := conn.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return conn, nil
	}
}

// redirectPolicy follows up to maxHTTPRedirects redirects, or none.
func redirectPolicy(follow bool) func(*http.Request, []*http.Request) error {
	return func(_ *http.Request, via []*http.Request) error {
		if !follow {
			return http.ErrUseLastResponse
		}
		if len(via) >= maxHTTPRedirects {
			return fmt.Errorf("stopped after %d redirects", maxHTTPRedirects)
		}
		return nil
	}
}

// probe sends the request and checks status and body.
func (h *httpProber) probe(ctx context.Context, obs *observation) error {
	req, err := h.request(ctx)
	if err != nil {
		return err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	obs.httpStatus = resp.StatusCode
	if resp.TLS != nil {
		obs.recordCerts(resp.TLS.PeerCertificates)
	}
	if !h.expectStatus.MatchString(strconv.Itoa(resp.StatusCode)) {
		return fmt.Errorf("status %d does not match expectStatus %q", resp.StatusCode, h.spec.ExpectStatus)
	}
	if h.expectBody == nil {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBodyBytes))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	if !h.expectBody.Match(body) {
		return fmt.Errorf("body does not match expectBody %q", h.spec.ExpectBody)
	}
	return nil
}

// request builds the request with headers and credentials.
func (h *httpProber) request(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if h.spec.Body != "" {
		body = strings.NewReader(h.spec.Body)
	}
	req, err := http.NewRequestWithContext(ctx, h.spec.Method, h.spec.URL, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", h.userAgent)
	for k, v := range h.spec.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return req, h.authorize(req)
}

// authorize adds basic auth or the bearer token, read fresh on every run so
// rotated secrets apply at once.
func (h *httpProber) authorize(req *http.Request) error {
	if a := h.spec.BasicAuth; a != nil {
		pw, err := h.secret("basicAuth.password", a.PasswordFile, a.PasswordEnv)
		if err != nil {
			return err
		}
		req.SetBasicAuth(a.Username, pw)
		return nil
	}
	if h.spec.BearerTokenFile == "" && h.spec.BearerTokenEnv == "" {
		return nil
	}
	tok, err := h.secret("bearerToken", h.spec.BearerTokenFile, h.spec.BearerTokenEnv)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// secret reads a secret from a file (trailing newline trimmed) or an env var.
// Errors name the source, never the value.
func (h *httpProber) secret(what, file, env string) (string, error) {
	if file != "" {
		b, err := spec.ReadFile(file) // refuses meshprobe's own keys, also through symlinks
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", what, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	v, ok := h.env.lookupEnv(env)
	if !ok {
		return "", fmt.Errorf("reading %s: environment variable %s is not set", what, env)
	}
	return v, nil
}
