package checks

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// dnsServer answers from a small zone on a local port, over UDP and TCP.
func dnsServer(t *testing.T) string {
	t.Helper()
	zone := map[string][]string{
		"api.test.":  {"api.test. 30 IN A 10.0.0.1", "api.test. 30 IN A 10.0.0.2", "api.test. 30 IN AAAA 2001:db8::1"},
		"mail.test.": {"mail.test. 30 IN MX 10 mx.mail.test."},
		"slow.test.": nil,
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		q := req.Question[0]
		if q.Name == "slow.test." {
			return // never answer
		}
		m := new(dns.Msg)
		m.SetReply(req)
		records, ok := zone[q.Name]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		for _, r := range records {
			rr, err := dns.NewRR(r)
			if err == nil && rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	l, err := net.Listen("tcp", pc.LocalAddr().String())
	require.NoError(t, err)
	udp := &dns.Server{PacketConn: pc, Handler: handler}
	tcp := &dns.Server{Listener: l, Handler: handler}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })
	return pc.LocalAddr().String()
}

func TestDNSCheck(t *testing.T) {
	server := dnsServer(t)
	tests := []struct {
		name   string
		spec   string
		result string
		errHas string
	}{
		{"A", "query: api.test", ResultSuccess, ""},
		{"A over tcp", "query: api.test\n  transport: tcp", ResultSuccess, ""},
		{"AAAA matches", "query: api.test\n  recordType: AAAA\n  expectAnswer: '^2001:db8::'", ResultSuccess, ""},
		{"one of several answers matches", "query: api.test\n  expectAnswer: '^10\\.0\\.0\\.2$'", ResultSuccess, ""},
		{"MX", "query: mail.test\n  recordType: MX\n  expectAnswer: 'mx\\.mail\\.test\\.$'", ResultSuccess, ""},
		{"answer mismatch", "query: api.test\n  expectAnswer: '^192\\.'", ResultFailure,
			`no answer matches expectAnswer "^192\\." (got 10.0.0.1, 10.0.0.2)`},
		{"no records of the type", "query: mail.test", ResultFailure, "no A records in the answer"},
		{"NXDOMAIN", "query: gone.test", ResultFailure, "response code NXDOMAIN, want NOERROR"},
		{"NXDOMAIN expected", "query: gone.test\n  expectRcode: NXDOMAIN", ResultSuccess, ""},
		{"no answer times out", "query: slow.test\n  timeout: 300ms", ResultTimeout, "timed out after 300ms"},
		{"resolver down over tcp", "query: api.test\n  transport: tcp\n  resolver: " + freeport.Addr(t), ResultFailure, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := "- name: c\n  type: dns\n  resolver: " + server + "\n  " + tc.spec
			if tc.name == "resolver down over tcp" {
				spec = "- name: c\n  type: dns\n  " + tc.spec
			}
			rec := runSpec(t, spec, testEnv(nil))
			assert.Equal(t, tc.result, rec.result, "err: %v", rec.err)
			if tc.errHas == "" {
				assert.NoError(t, rec.err)
				return
			}
			require.Error(t, rec.err)
			assert.Contains(t, rec.err.Error(), tc.errHas)
		})
	}
}

func TestDNSDefaultResolver(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	require.NoError(t, os.WriteFile(conf, []byte("search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"), 0o600))
	d := &dnsProber{env: proberEnv{resolvConf: conf, now: time.Now}}
	got, err := d.server()
	require.NoError(t, err)
	assert.Equal(t, "10.96.0.10:53", got)

	d.env.resolvConf = filepath.Join(t.TempDir(), "missing")
	_, err = d.server()
	require.ErrorContains(t, err, "no resolver: set resolver, or a nameserver in")

	d.spec.Resolver = "::1"
	got, err = d.server()
	require.NoError(t, err)
	assert.Equal(t, "[::1]:53", got)
}
