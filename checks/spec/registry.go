package spec

import (
	"maps"
	"slices"
	"strings"
)

// checkType is everything the specification says about one type of check: the
// annotation fields it accepts beyond the common ones, its defaults and its
// validation. Parse derives all of its type-specific behaviour from checkTypes;
// the probers that run each type live in package checks.
type checkType struct {
	// fields are the annotation fields valid for this type, beyond commonFields.
	fields []string
	// defaults fills the type's defaults into fields left unset.
	defaults func(*Check)
	// validate reports every problem with the type's fields.
	validate func(*Check, *problems)
}

// allows reports whether field is one of the type's own fields.
func (c checkType) allows(field string) bool { return slices.Contains(c.fields, field) }

// commonFields are the fields every check has.
var commonFields = map[string]bool{
	"name": true, "type": true, "interval": true, "timeout": true, "retries": true, "runOn": true,
	"displayName": true, "description": true, "labels": true,
}

// checkTypes is the one registry of check types.
var checkTypes = map[Type]checkType{
	TypeHTTP: {
		fields: []string{"url", "method", "headers", "body", "expectStatus", "expectBody",
			"followRedirects", "basicAuth", "bearerTokenFile", "bearerTokenEnv", "tls"},
		defaults: httpDefaults,
		validate: validateHTTP,
	},
	TypeTCP: {
		fields:   []string{"address", "send", "expect"},
		defaults: func(*Check) {},
		validate: validateTCP,
	},
	TypeDNS: {
		fields:   []string{"query", "recordType", "resolver", "transport", "expectRcode", "expectAnswer"},
		defaults: dnsDefaults,
		validate: validateDNS,
	},
	TypeTLS: {
		fields:   []string{"address", "tls", "minValidity"},
		defaults: func(*Check) {},
		validate: validateTLS,
	},
	TypeGRPC: {
		fields:   []string{"address", "service", "tls"},
		defaults: func(*Check) {},
		validate: validateGRPC,
	},
}

// Types returns the check types, sorted. Package checks has a prober for each.
func Types() []Type { return slices.Sorted(maps.Keys(checkTypes)) }

// typeNames lists the registered types, sorted, for error messages.
func typeNames() string {
	names := make([]string, 0, len(checkTypes))
	for _, t := range Types() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}
