package heartbeat

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,,::ffff:172.16.0.0/108, 10.1.2.3/8")
	require.NoError(t, err)
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8", "172.16.0.0/12", "10.0.0.0/8"}
	var strs []string
	for _, p := range got {
		strs = append(strs, p.String())
	}
	assert.Equal(t, want, strs)
	none, err := ParseTrustedProxies("")
	require.NoError(t, err)
	assert.Empty(t, none)
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.0/8,nope", "1.2.3.4:80"} {
		_, err := ParseTrustedProxies(bad)
		assert.ErrorContains(t, err, "want a CIDR", bad)
	}
}

func TestClientAddr(t *testing.T) {
	c := clientResolver{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "192.0.2.1:5000", nil, "192.0.2.1"},
		{"header from an untrusted peer is ignored", "192.0.2.1:5000", []string{"198.51.100.9"}, "192.0.2.1"},
		{"trusted peer without header", "10.0.0.1:5000", nil, "10.0.0.1"},
		{"one trusted proxy", "10.0.0.1:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"spoofed left entries are skipped", "10.0.0.1:5000", []string{"1.1.1.1, 2.2.2.2, 198.51.100.9"}, "198.51.100.9"},
		{"chain of trusted proxies", "10.0.0.1:5000", []string{"198.51.100.9, 10.2.0.1", "10.3.0.1"}, "198.51.100.9"},
		{"every hop trusted", "10.0.0.1:5000", []string{"10.9.9.9, 10.2.0.1"}, "10.9.9.9"},
		{"garbage ends at the last trusted hop", "10.0.0.1:5000", []string{"198.51.100.9, unknown, 10.2.0.1"}, "10.2.0.1"},
		{"empty entry", "10.0.0.1:5000", []string{"198.51.100.9,,"}, "10.0.0.1"},
		{"entry with port", "10.0.0.1:5000", []string{"198.51.100.9:443"}, "198.51.100.9"},
		{"bracketed IPv6", "[fd00::1]:5000", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv6 with port and zone", "[fd00::1%eth0]:5000", []string{"[2001:db8::1%eth0]:80"}, "2001:db8::1"},
		{"IPv4-mapped peer is trusted", "[::ffff:10.0.0.1]:5000", []string{"::ffff:198.51.100.9"}, "198.51.100.9"},
		{"too many hops", "10.0.0.1:5000", []string{"198.51.100.9" + strings.Repeat(",10.0.0.2", maxForwardedHops)}, "10.0.0.2"},
		{"unparsable peer is used as is", "@", []string{"198.51.100.9"}, "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tt.want, c.clientAddr(r))
		})
	}
	none := clientResolver{}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "198.51.100.9")
	assert.Equal(t, "10.0.0.1", none.clientAddr(r), "no trusted proxies: the header is never read")
}

// FuzzForwardedFor: whatever the header, the client is a valid address: the
// peer when the peer is untrusted, else the peer or an address one of the
// entries parses to.
func FuzzForwardedFor(f *testing.F) {
	for _, s := range []string{"", "198.51.100.9", "1.1.1.1, 10.0.0.2", "[2001:db8::1]:80,10.0.0.3", ",,,", "unknown", "10.0.0.2 , fd00::1%x"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	c := clientResolver{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}
	f.Fuzz(func(t *testing.T, xff string, trustedPeer bool) {
		peer := "192.0.2.1"
		if trustedPeer {
			peer = "10.0.0.1"
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer + ":5000"
		r.Header["X-Forwarded-For"] = []string{xff}
		got := c.clientAddr(r)
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("client %q is not an address", got)
		}
		if !trustedPeer {
			if got != peer {
				t.Fatalf("untrusted peer: client %q, want the peer", got)
			}
			return
		}
		if got == peer {
			return
		}
		found := false
		for _, e := range strings.Split(xff, ",") {
			if p, ok := parseForwardedAddr(strings.TrimSpace(e)); ok && p == a {
				found = true
			}
		}
		if !found {
			t.Fatalf("client %q is neither the peer nor in %q", got, xff)
		}
	})
}
