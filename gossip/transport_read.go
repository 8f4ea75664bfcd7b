package gossip

import (
	"net/netip"
	"time"
)

// readPacket reads one UDP packet and stamps it with the time it was read.
func (t *Transport) readPacket(buf []byte) (int, netip.AddrPort, time.Time, error) {
	n, from, err := t.udp.ReadFromUDPAddrPort(buf)
	return n, from, time.Now(), err
}
