package spec

// maxNameOctets bounds a name's labels and their length octets together, the
// bound that github.com/miekg/dns's IsDomainName applies.
const maxNameOctets = 256

// maxLabelOctets bounds one label (RFC 1035 2.3.4).
const maxLabelOctets = 63

// validDomainName reports whether name is a domain name in presentation format
// that a DNS query can carry: "." (the root), or labels separated by dots with an
// optional final dot. A label is 1-63 octets, where \X and \DDD are one octet
// each; the labels with their length octets come to at most maxNameOctets. It
// accepts what miekg/dns's IsDomainName accepts, less the names ending in a lone
// backslash, which no query can carry (dns_test.go compares the two).
func validDomainName(name string) bool {
	if name == "." {
		return true
	}
	n := nameScanner{}
	for i := 0; i < len(name); i++ {
		switch {
		case name[i] == '.':
			if !n.endLabel() {
				return false
			}
			continue
		case name[i] != '\\':
		case isDDD(name[i+1:]):
			i += 3
		case i+1 < len(name):
			i++
		default:
			return false // a lone backslash at the end escapes nothing
		}
		n.label++
	}
	return n.label == 0 && n.octets > 0 || n.endLabel()
}

// nameScanner counts the octets of a name's labels.
type nameScanner struct {
	label  int // octets of the current label so far
	octets int // octets of the finished labels, with their length octets
}

// endLabel finishes the current label; false if it is empty or too long, or the
// name has grown too long.
func (n *nameScanner) endLabel() bool {
	if n.label == 0 || n.label > maxLabelOctets {
		return false
	}
	n.octets += 1 + n.label
	n.label = 0
	return n.octets <= maxNameOctets
}

// isDDD reports whether s starts with three decimal digits (the \DDD escape).
func isDDD(s string) bool {
	return len(s) >= 3 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2])
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
