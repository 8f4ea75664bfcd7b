package spec

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The dns prober of package checks sends the query and maps recordType and
// expectRcode with github.com/miekg/dns. The spec validates without that
// library (so that the webhook does not link it); these tests keep the two in
// step. Only the tests import it.

// TestDNSNamesMatchMiekg compares validDomainName with what miekg/dns accepts
// and can send: IsDomainName, and a query for the name that packs. It tries
// every string of up to 8 characters over an alphabet of a letter, a digit, a
// dot and a backslash (escapes and \DDD included), and names around the label
// and name length limits.
func TestDNSNamesMatchMiekg(t *testing.T) {
	names := shortNames("a1.\\", 8)
	names = append(names, longNames()...)
	mismatches := 0
	for _, name := range names {
		want := miekgSends(name)
		if validDomainName(name) != want {
			mismatches++
			assert.Equal(t, want, validDomainName(name), "validDomainName(%q)", name)
			require.Less(t, mismatches, 10, "too many mismatches")
		}
	}
	t.Logf("%d names compared", len(names))
}

// miekgSends reports whether miekg/dns accepts name and can pack a query for it.
func miekgSends(name string) bool {
	if _, ok := dns.IsDomainName(name); !ok {
		return false
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	_, err := m.Pack()
	return err == nil
}

// shortNames returns every string over alphabet of at most n bytes.
func shortNames(alphabet string, n int) []string {
	out := []string{""}
	for prev := out; n > 0; n-- {
		var next []string
		for _, p := range prev {
			for i := range len(alphabet) {
				next = append(next, p+alphabet[i:i+1])
			}
		}
		out, prev = append(out, next...), next
	}
	return out
}

// longNames returns names of labels of one length (1 to 65, some escaped),
// 240 to 262 characters long, with and without a final dot.
func longNames() []string {
	var out []string
	for _, unit := range []string{"a", `\.`, `\065`} {
		for label := 1; label <= 65; label++ {
			for total := 240; total <= 262; total++ {
				var b strings.Builder
				for b.Len() < total {
					b.WriteString(strings.Repeat(unit, label))
					b.WriteByte('.')
				}
				name := b.String()
				out = append(out, name, strings.TrimSuffix(name, "."))
			}
		}
	}
	return out
}

// TestDNSCodesMatchMiekg: every record type and response code the spec accepts
// maps to a number in miekg/dns, and every response code it knows is accepted.
func TestDNSCodesMatchMiekg(t *testing.T) {
	for _, rt := range dnsRecordTypes {
		assert.Contains(t, dns.StringToType, rt)
	}
	assert.ElementsMatch(t, slices.Collect(maps.Keys(dns.StringToRcode)), dnsResponseCodes)
}

func TestResolverAddress(t *testing.T) {
	for resolver, want := range map[string]string{
		"":                "",
		"10.0.0.10":       "10.0.0.10:53",
		"10.0.0.10:5353":  "10.0.0.10:5353",
		"dns.example.org": "dns.example.org:53",
		"fd00::a":         "[fd00::a]:53",
		"[fd00::a]":       "[fd00::a]:53",
		"[fd00::a]:5353":  "[fd00::a]:5353",
	} {
		assert.Equal(t, want, Check{Resolver: resolver}.ResolverAddress(), "resolver %q", resolver)
	}
}
