package spec

import "time"

// Type names a kind of check; the registry in registry.go lists them all.
type Type string

// The check types.
const (
	TypeHTTP Type = "http"
	TypeTCP  Type = "tcp"
	TypeDNS  Type = "dns"
	TypeTLS  Type = "tls"
	TypeGRPC Type = "grpc"
)

// Defaults of the fields that every check has, and of the http and dns fields.
const (
	DefaultInterval = 30 * time.Second
	// DefaultTimeout is the timeout of a check that sets none, when its interval
	// is over 6.25 s; shorter intervals get 80 % of the interval (DefaultTimeoutFor).
	DefaultTimeout      = 5 * time.Second
	DefaultRetries      = 0
	DefaultRunOn        = RunOnAll
	DefaultHTTPMethod   = "GET"
	DefaultExpectStatus = "^2..$"
	DefaultRecordType   = "A"
	DefaultDNSTransport = "udp"
	DefaultExpectRcode  = "NOERROR"
)

// Check is the specification of one check of the annotation, with defaults
// applied. The JSON names are the annotation's field names; which fields a type
// accepts is in registry.go. A Check from Parse is valid; two checks are the same
// when their Check values are equal (reflect.DeepEqual).
type Check struct {
	// Name identifies the check; unique within the annotation; a metric label.
	Name string `json:"name"`
	// Type is http, tcp, dns, tls or grpc.
	Type Type `json:"type"`
	// Interval is the time between the starts of two runs (default 30s).
	Interval Duration `json:"interval"`
	// Timeout bounds one run, all of its attempts together (default: the smaller
	// of 5s and 80 % of Interval; always < Interval).
	Timeout Duration `json:"timeout"`
	// Retries is how many more attempts a failing run makes, with backoff, within
	// Timeout (default 0).
	Retries int `json:"retries"`
	// RunOn is all (default), one, or a node pattern (runon.go).
	RunOn RunOn `json:"runOn"`
	// DisplayName is a human name for the check, on one line (default: none).
	DisplayName string `json:"displayName,omitempty"`
	// Description says what the check is for (default: none).
	Description string `json:"description,omitempty"`
	// Labels are user labels of the check, carried into the results API and the
	// meshprobe_check_info metric (labels.go has the rules).
	Labels map[string]string `json:"labels,omitempty"`

	// URL is the http target (http or https).
	URL string `json:"url,omitempty"`
	// Method is the http method (default GET).
	Method string `json:"method,omitempty"`
	// Headers are extra http request headers; never secrets (no Authorization).
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the http request body.
	Body string `json:"body,omitempty"`
	// ExpectStatus is a regex the http status code must match (default "^2..$").
	ExpectStatus string `json:"expectStatus,omitempty"`
	// ExpectBody is a regex the http response body must match, if set.
	ExpectBody string `json:"expectBody,omitempty"`
	// FollowRedirects makes http follow up to 10 redirects (default true).
	FollowRedirects *bool `json:"followRedirects,omitempty"`
	// BasicAuth sends http basic auth with a password from a file or env var.
	BasicAuth *BasicAuth `json:"basicAuth,omitempty"`
	// BearerTokenFile is a sidecar file whose content is sent as a bearer token.
	BearerTokenFile string `json:"bearerTokenFile,omitempty"`
	// BearerTokenEnv is a sidecar env var whose value is sent as a bearer token.
	BearerTokenEnv string `json:"bearerTokenEnv,omitempty"`
	// TLS configures certificate verification for http (https URLs), tls and grpc.
	// For grpc its presence turns TLS on.
	TLS *TLSOptions `json:"tls,omitempty"`

	// Address is the host:port target of tcp, tls and grpc checks.
	Address string `json:"address,omitempty"`
	// Send is a string the tcp check writes after connecting.
	Send string `json:"send,omitempty"`
	// Expect is a regex the tcp check's first read (up to 4 KiB) must match.
	Expect string `json:"expect,omitempty"`

	// Query is the name the dns check looks up.
	Query string `json:"query,omitempty"`
	// RecordType is the dns record type (default A).
	RecordType string `json:"recordType,omitempty"`
	// Resolver is the dns server host[:port] (default: the sidecar's first
	// nameserver in /etc/resolv.conf).
	Resolver string `json:"resolver,omitempty"`
	// Transport is udp (default) or tcp for dns.
	Transport string `json:"transport,omitempty"`
	// ExpectRcode is the dns response code wanted (default NOERROR).
	ExpectRcode string `json:"expectRcode,omitempty"`
	// ExpectAnswer is a regex at least one dns answer record must match, if set.
	ExpectAnswer string `json:"expectAnswer,omitempty"`

	// MinValidity fails a tls check whose certificate expires sooner (default 0:
	// fail only once expired).
	MinValidity Duration `json:"minValidity,omitempty"`

	// Service is the grpc.health.v1 service name ("" asks about the whole server).
	Service string `json:"service,omitempty"`
}

// BasicAuth is http basic auth. The password comes from the sidecar's files or
// environment, never from the annotation.
type BasicAuth struct {
	// Username is sent as is.
	Username string `json:"username,omitempty"`
	// PasswordFile is a file of the sidecar holding the password.
	PasswordFile string `json:"passwordFile,omitempty"`
	// PasswordEnv is an env var of the sidecar holding the password.
	PasswordEnv string `json:"passwordEnv,omitempty"`
}

// TLSOptions configures TLS certificate verification.
type TLSOptions struct {
	// InsecureSkipVerify turns certificate verification off.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
	// CAFile is a PEM file of CAs to verify with instead of the system pool.
	CAFile string `json:"caFile,omitempty"`
	// ServerName overrides the name verified and sent in SNI.
	ServerName string `json:"serverName,omitempty"`
}
