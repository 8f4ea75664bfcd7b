package checks

import (
	"slices"
	"strings"
)

// checkType is everything meshprobe knows about one type of check: the
// annotation fields it accepts beyond the common ones, its defaults, its
// validation and the constructor of its prober. Parse and the Manager derive all
// their type-specific behaviour from checkTypes.
type checkType struct {
	// fields are the annotation fields valid for this type, beyond commonFields.
	fields []string
	// defaults fills the type's defaults into fields left unset.
	defaults func(*Spec)
	// validate reports every problem with the type's fields.
	validate func(*Spec, *problems)
	// newProber builds the prober for a valid spec.
	newProber func(Spec, proberEnv) (prober, error)
}

// allows reports whether field is one of the type's own fields.
func (c checkType) allows(field string) bool { return slices.Contains(c.fields, field) }

// commonFields are the fields every check has.
var commonFields = map[string]bool{
	"name": true, "type": true, "interval": true, "timeout": true, "retries": true, "runOn": true,
}

// checkTypes is the one registry of check types.
var checkTypes = map[Type]checkType{
	TypeHTTP: {
		fields: []string{"url", "method", "headers", "body", "expectStatus", "expectBody",
			"followRedirects", "basicAuth", "bearerTokenFile", "bearerTokenEnv", "tls"},
		defaults:  httpDefaults,
		validate:  validateHTTP,
		newProber: newHTTPProber,
	},
	TypeTCP: {
		fields:    []string{"address", "send", "expect"},
		defaults:  func(*Spec) {},
		validate:  validateTCP,
		newProber: newTCPProber,
	},
	TypeDNS: {
		fields:    []string{"query", "recordType", "resolver", "transport", "expectRcode", "expectAnswer"},
		defaults:  dnsDefaults,
		validate:  validateDNS,
		newProber: newDNSProber,
	},
	TypeTLS: {
		fields:    []string{"address", "tls", "minValidity"},
		defaults:  func(*Spec) {},
		validate:  validateTLS,
		newProber: newTLSProber,
	},
	TypeGRPC: {
		fields:    []string{"address", "service", "tls"},
		defaults:  func(*Spec) {},
		validate:  validateGRPC,
		newProber: newGRPCProber,
	},
}

// typeNames lists the registered types, sorted, for error messages.
func typeNames() string {
	names := make([]string, 0, len(checkTypes))
	for t := range checkTypes {
		names = append(names, string(t))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
