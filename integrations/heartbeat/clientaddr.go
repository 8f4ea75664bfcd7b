package heartbeat

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds the X-Forwarded-For entries examined per request.
const maxForwardedHops = 16

// ParseTrustedProxies parses a comma-separated list of CIDRs or addresses (an
// address is its own /32 or /128), as --heartbeat-trusted-proxies takes them.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := parsePrefixOrAddr(part)
		if err != nil {
			return nil, fmt.Errorf("heartbeat: trusted proxy %s: want a CIDR such as 10.0.0.0/8 or an address", quote(part))
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// clientResolver finds the address a request is rate-limited under.
type clientResolver struct {
	trusted []netip.Prefix
}

// trusts reports whether a is a trusted proxy.
func (c clientResolver) trusts(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the TCP peer's address, unless the peer is a trusted proxy: then
// it is the rightmost X-Forwarded-For address that is not a trusted proxy.
// X-Forwarded-For from any other peer is ignored, so a client cannot choose the
// address it is counted under.
func (c clientResolver) clientAddr(r *http.Request) string {
	peer, ok := parseForwardedAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !c.trusts(peer) {
		return peer.String()
	}
	return c.forwardedFor(peer, r.Header.Values("X-Forwarded-For")).String()
}

// forwardedFor walks the X-Forwarded-For entries from the right, starting at
// the trusted peer: each trusted proxy appended the address it was connected
// from. The first address that is not a trusted proxy is the client. An entry
// that does not parse, or more than maxForwardedHops entries, ends the walk at
// the last trusted address, so garbage never earns a fresh budget.
func (c clientResolver) forwardedFor(peer netip.Addr, values []string) netip.Addr {
	client, hops := peer, 0
	for i := len(values) - 1; i >= 0; i-- {
		rest := values[i]
		for {
			entry := rest
			j := strings.LastIndexByte(rest, ',')
			if j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			}
			if hops++; hops > maxForwardedHops {
				return client
			}
			a, ok := parseForwardedAddr(strings.TrimSpace(entry))
			if !ok {
				return client
			}
			client = a
			if !c.trusts(a) {
				return a
			}
			if j < 0 {
				break
			}
		}
	}
	return client
}

// parseForwardedAddr parses "ip", "ip:port", "[ipv6]" or "[ipv6]:port", without
// zone and with IPv4-mapped IPv6 addresses as IPv4.
func parseForwardedAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
