package checks

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// dnsProber sends one query and checks the response code and answers.
type dnsProber struct {
	spec   spec.Check
	env    proberEnv
	qtype  uint16
	rcode  int
	answer *regexp.Regexp
}

// newDNSProber builds the prober of a valid dns spec.
func newDNSProber(s spec.Check, env proberEnv) (prober, error) {
	d := &dnsProber{spec: s, env: env, qtype: dns.StringToType[s.RecordType], rcode: dns.StringToRcode[s.ExpectRcode]}
	if s.ExpectAnswer != "" {
		d.answer = regexp.MustCompile(s.ExpectAnswer)
	}
	return d, nil
}

// probe sends the query.
func (d *dnsProber) probe(ctx context.Context, _ *observation) error {
	server, err := d.server()
	if err != nil {
		return err
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(d.spec.Query), d.qtype)
	c := &dns.Client{Net: d.spec.Transport}
	resp, _, err := c.ExchangeContext(ctx, m, server)
	if err != nil {
		return fmt.Errorf("query %s %s at %s: %w", d.spec.RecordType, d.spec.Query, server, ctxErr(ctx, err))
	}
	if resp.Rcode != d.rcode {
		return fmt.Errorf("response code %s, want %s", dns.RcodeToString[resp.Rcode], d.spec.ExpectRcode)
	}
	return d.checkAnswers(resp.Answer)
}

// checkAnswers wants an answer of the asked type (for NOERROR) and, with
// expectAnswer, one whose value matches.
func (d *dnsProber) checkAnswers(answers []dns.RR) error {
	if d.rcode != dns.RcodeSuccess {
		return nil
	}
	var values []string
	for _, rr := range answers {
		if rr.Header().Rrtype == d.qtype {
			values = append(values, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	if len(values) == 0 {
		return fmt.Errorf("no %s records in the answer", d.spec.RecordType)
	}
	if d.answer == nil || slices.ContainsFunc(values, d.answer.MatchString) {
		return nil
	}
	return fmt.Errorf("no answer matches expectAnswer %q (got %s)", d.spec.ExpectAnswer, strings.Join(values, ", "))
}

// server is the resolver to ask: the spec's, or the first of resolv.conf.
func (d *dnsProber) server() (string, error) {
	if d.spec.Resolver != "" {
		return d.spec.ResolverAddress(), nil
	}
	cc, err := dns.ClientConfigFromFile(d.env.resolvConf)
	if err != nil || len(cc.Servers) == 0 {
		return "", fmt.Errorf("no resolver: set resolver, or a nameserver in %s", d.env.resolvConf)
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}
