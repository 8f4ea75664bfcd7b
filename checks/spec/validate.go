package spec

import (
	"net"
	"regexp"
	"strconv"
	"time"
)

// Bounds of the common fields.
const (
	MinInterval = time.Second
	MaxInterval = 24 * time.Hour
	MaxRetries  = 10
)

var (
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// validateCommon checks the fields every check has.
func validateCommon(s *Check, p *problems) {
	switch {
	case s.Name == "":
		p.add("name", "required")
	case !nameRE.MatchString(s.Name):
		p.add("name", "invalid name %q: want 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", s.Name)
	}
	if s.Type == "" {
		p.add("type", "required: one of %s", typeNames())
	} else if _, ok := checkTypes[s.Type]; !ok {
		p.add("type", "unknown type %q: want one of %s", s.Type, typeNames())
	}
	switch iv := s.Interval.D(); {
	case iv < MinInterval:
		p.add("interval", "%s is shorter than the minimum %s", iv, MinInterval)
	case iv > MaxInterval:
		p.add("interval", "%s is longer than the maximum %s", iv, MaxInterval)
	}
	switch to := s.Timeout.D(); {
	case to <= 0:
		p.add("timeout", "%s must be positive", to)
	case to >= s.Interval.D():
		p.add("timeout", "%s must be shorter than interval %s", to, s.Interval.D())
	}
	if s.Retries < 0 || s.Retries > MaxRetries {
		p.add("retries", "%d is out of range 0-%d", s.Retries, MaxRetries)
	}
	if len(s.RunOn) > MaxRunOnBytes {
		p.add("runOn", "%d bytes, over the limit of %d", len(s.RunOn), MaxRunOnBytes)
	} else if problem := s.RunOn.problem(); problem != "" {
		p.add("runOn", "invalid value %q: %s", s.RunOn, problem)
	}
	validateDescriptive(s, p)
}

// requireField reports an empty required field.
func requireField(p *problems, field, value string, t Type) bool {
	if value == "" {
		p.add(field, "required for type %q", t)
		return false
	}
	return true
}

// validRegex reports a regex that does not compile.
func validRegex(p *problems, field, expr string) {
	if expr == "" {
		return
	}
	if _, err := regexp.Compile(expr); err != nil {
		p.add(field, "invalid regex %q: %s", expr, regexProblem(err))
	}
}

// regexProblem strips the "error parsing regexp: " prefix regexp adds.
func regexProblem(err error) string {
	const prefix = "error parsing regexp: "
	msg := err.Error()
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}

// validHostPort reports an address that is not host:port with a port 1-65535.
func validHostPort(p *problems, field, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		p.add(field, "invalid address %q: want host:port", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		p.add(field, "invalid port %q: want 1-65535", port)
	}
}

// validEnv reports an env var name that is not a valid identifier.
func validEnv(p *problems, field, name string) {
	if name != "" && !envNameRE.MatchString(name) {
		p.add(field, "invalid environment variable name %q", name)
	}
}

// validTLS checks the tls block shared by http, tls and grpc checks.
func validTLS(p *problems, o *TLSOptions) {
	if o == nil {
		return
	}
	validFile(p, "tls.caFile", o.CAFile)
	if o.CAFile != "" && o.InsecureSkipVerify {
		p.add("tls", "set caFile or insecureSkipVerify, not both")
	}
}
