//go:build !linux

package gossip

import (
	"net/netip"
	"time"
)

// enableRxTimestamps is a no-op where kernel receive timestamps are not wired up.
func (t *Transport) enableRxTimestamps() {}

// readPacket reads one UDP packet and stamps it with the time it was read.
func (t *Transport) readPacket(buf, _ []byte) (int, netip.AddrPort, time.Time, error) {
	n, from, err := t.udp.ReadFromUDPAddrPort(buf)
	return n, from, time.Now(), err
}
