package spec

// MaxSendBytes bounds the string a tcp check sends.
const MaxSendBytes = 4 << 10

// validateTCP checks the tcp fields.
func validateTCP(s *Check, p *problems) {
	if requireField(p, "address", s.Address, TypeTCP) {
		validHostPort(p, "address", s.Address)
	}
	validRegex(p, "expect", s.Expect)
	if len(s.Send) > MaxSendBytes {
		p.add("send", "longer than %d bytes", MaxSendBytes)
	}
}

// validateTLS checks the tls check's fields.
func validateTLS(s *Check, p *problems) {
	if requireField(p, "address", s.Address, TypeTLS) {
		validHostPort(p, "address", s.Address)
	}
	if s.MinValidity < 0 {
		p.add("minValidity", "%s must not be negative", s.MinValidity)
	}
	validTLS(p, s.TLS)
}

// validateGRPC checks the grpc fields.
func validateGRPC(s *Check, p *problems) {
	if requireField(p, "address", s.Address, TypeGRPC) {
		validHostPort(p, "address", s.Address)
	}
	validTLS(p, s.TLS)
}
