package spec

import (
	"net"
	"slices"
	"strings"
)

// dnsRecordTypes are the record types a dns check may ask for.
var dnsRecordTypes = []string{"A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT"}

// dnsResponseCodes are the response codes expectRcode may name: the names of
// github.com/miekg/dns's StringToRcode, which the dns prober maps to numbers
// (dns_test.go keeps the two in step).
var dnsResponseCodes = []string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "NOTIMPL",
	"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
	"BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"}

// dnsDefaults fills the dns defaults.
func dnsDefaults(s *Check) {
	if s.RecordType == "" {
		s.RecordType = DefaultRecordType
	}
	if s.Transport == "" {
		s.Transport = DefaultDNSTransport
	}
	if s.ExpectRcode == "" {
		s.ExpectRcode = DefaultExpectRcode
	}
}

// validateDNS checks the dns fields.
func validateDNS(s *Check, p *problems) {
	if requireField(p, "query", s.Query, TypeDNS) && !validDomainName(s.Query) {
		p.add("query", "invalid domain name %q", s.Query)
	}
	if !slices.Contains(dnsRecordTypes, s.RecordType) {
		p.add("recordType", "unknown record type %q: want one of %s", s.RecordType, strings.Join(dnsRecordTypes, ", "))
	}
	if s.Resolver != "" {
		validHostPort(p, "resolver", s.ResolverAddress())
	}
	if s.Transport != "udp" && s.Transport != "tcp" {
		p.add("transport", "unknown transport %q: want udp or tcp", s.Transport)
	}
	if !slices.Contains(dnsResponseCodes, s.ExpectRcode) {
		p.add("expectRcode", "unknown response code %q: want e.g. NOERROR or NXDOMAIN", s.ExpectRcode)
	}
	validRegex(p, "expectAnswer", s.ExpectAnswer)
}

// ResolverAddress is the host:port of the dns check's resolver, port 53 when
// Resolver names only a host; "" when the check names no resolver.
func (c Check) ResolverAddress() string {
	if c.Resolver == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(c.Resolver); err == nil {
		return c.Resolver
	}
	return net.JoinHostPort(strings.Trim(c.Resolver, "[]"), "53")
}
