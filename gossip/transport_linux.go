//go:build linux

package gossip

import (
	"net/netip"
	"syscall"
	"time"
	"unsafe"
)

// enableRxTimestamps asks the kernel to stamp every received packet
// (SO_TIMESTAMPNS), so RTTs exclude the time this process took to wake up and read
// the packet, as ping's do.
func (t *Transport) enableRxTimestamps() {
	raw, err := t.udp.SyscallConn()
	if err != nil {
		return
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		t.log.Debug("gossip: kernel receive timestamps unavailable; using read time", "err", serr)
	}
}

// readPacket reads one UDP packet and returns its kernel receive timestamp, or
// the time it was read when the kernel gave none.
func (t *Transport) readPacket(buf, oob []byte) (int, netip.AddrPort, time.Time, error) {
	n, oobn, _, from, err := t.udp.ReadMsgUDPAddrPort(buf, oob)
	now := time.Now()
	if err != nil || oobn == 0 {
		return n, from, now, err
	}
	msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn])
	if perr != nil {
		return n, from, now, nil
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(syscall.Timespec{})) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&m.Data[0]))
			kernel := time.Unix(int64(ts.Sec), int64(ts.Nsec))
			if kernel.After(now) { // wall clock stepped: trust the read time
				return n, from, now, nil
			}
			return n, from, kernel, nil
		}
	}
	return n, from, now, nil
}
