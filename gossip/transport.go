package gossip

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// udpRecvBuffer is the socket receive buffer the Transport asks for, as memberlist's
// own transport does, so bursts of gossip are not dropped.
const udpRecvBuffer = 2 << 20

// TransportConfig configures a Transport.
type TransportConfig struct {
	// BindAddr is the IP to listen on ("0.0.0.0" for all).
	BindAddr string
	// BindPort is the TCP and UDP port; 0 picks a free one.
	BindPort int
	// Logger receives socket errors.
	Logger *slog.Logger
	// Keys returns the keys that authenticate memberlist's UDP packets; packets
	// none of them authenticates are dropped before memberlist sees them. Nil, or
	// no keys yet: only the packets' form is checked.
	Keys func() [][]byte
	// Limits bound inbound streams before memberlist reads them.
	Limits StreamLimits
	// delay, when positive (tests), delays every UDP write: a slow link.
	delay time.Duration
	// wire, when set (tests), is the echo codec of another release.
	wire *wireCodec
}

// TransportStats counts the Transport's UDP traffic, echo probes included.
type TransportStats struct {
	PacketsIn, PacketsOut, BytesIn, BytesOut uint64
}

// Transport is a memberlist.NodeAwareTransport over one TCP listener and one UDP
// socket sharing a port. Its UDP read loop answers echo probes inline, before any
// channel hand-off, so the RTT the prober measures carries as little user-space
// delay as possible; every other packet goes to memberlist unchanged.
//
// All methods are safe for concurrent use. SetEchoHandler must be called before
// the first echo packet matters; until then echo packets are dropped.
type Transport struct {
	log      *slog.Logger
	bindIP   net.IP
	port     int
	udp      *net.UDPConn
	tcp      *net.TCPListener
	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	done     chan struct{}
	closed   atomic.Bool
	wg       sync.WaitGroup
	echo     atomic.Pointer[echoHandler]
	guard    *streamGuard
	screen   *packetScreen
	stats    struct{ pin, pout, bin, bout atomic.Uint64 }
	// delay, when positive, delays every UDP write (tests: a slow link).
	delay time.Duration
	wire  *wireCodec
	// tap, when set, sees the plaintext of each authenticated memberlist packet.
	tap atomic.Pointer[func(plain []byte, from netip.AddrPort)]
}

// echoHandler is what the Transport calls for echo packets.
type echoHandler struct {
	// keys returns the keys that authenticate echo packets.
	keys func() [][]byte
	// onResponse receives an authenticated echo response and its receive time.
	onResponse func(p echoPacket, from netip.AddrPort, rx time.Time)
	// unsupported, when set, is told of an echo packet of a version this member
	// cannot read.
	unsupported func(err error, from netip.AddrPort)
}

var _ memberlist.NodeAwareTransport = (*Transport)(nil)

// NewTransport listens on cfg.BindAddr:cfg.BindPort, TCP and UDP.
func NewTransport(cfg TransportConfig) (*Transport, error) {
	ip := net.ParseIP(cfg.BindAddr)
	if ip == nil {
		return nil, fmt.Errorf("gossip: transport: invalid bind address %q", cfg.BindAddr)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Transport{
		log: log, bindIP: ip, delay: cfg.delay, wire: cfg.wire,
		guard: newStreamGuard(cfg.Limits, cfg.Keys), screen: newPacketScreen(cfg.Keys),
		packetCh: make(chan *memberlist.Packet, 64),
		streamCh: make(chan net.Conn),
		done:     make(chan struct{}),
	}
	tries := 1
	if cfg.BindPort == 0 {
		tries = 10 // a free TCP port may be taken for UDP; try another
	}
	var err error
	for range tries {
		if err = t.listen(cfg.BindPort); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("gossip: transport: %w", err)
	}
	if t.wire == nil {
		t.wire = currentWire()
	}
	t.wg.Add(2)
	go t.acceptLoop()
	go t.readLoop()
	return t, nil
}

func (t *Transport) listen(port int) error {
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: t.bindIP, Port: port})
	if err != nil {
		return fmt.Errorf("listening on TCP %s: %w", net.JoinHostPort(t.bindIP.String(), fmt.Sprint(port)), err)
	}
	port = tcp.Addr().(*net.TCPAddr).Port
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: t.bindIP, Port: port})
	if err != nil {
		_ = tcp.Close()
		return fmt.Errorf("listening on UDP %s: %w", net.JoinHostPort(t.bindIP.String(), fmt.Sprint(port)), err)
	}
	if err := udp.SetReadBuffer(udpRecvBuffer); err != nil {
		t.log.Debug("gossip: could not raise the UDP receive buffer", "err", err)
	}
	t.tcp, t.udp, t.port = tcp, udp, port
	t.enableRxTimestamps()
	return nil
}

// Port returns the bound TCP and UDP port.
func (t *Transport) Port() int { return t.port }

// Stats returns the UDP traffic counters.
func (t *Transport) Stats() TransportStats {
	return TransportStats{
		PacketsIn: t.stats.pin.Load(), PacketsOut: t.stats.pout.Load(),
		BytesIn: t.stats.bin.Load(), BytesOut: t.stats.bout.Load(),
	}
}

// setEchoHandler installs the echo callbacks.
func (t *Transport) setEchoHandler(h *echoHandler) { t.echo.Store(h) }

// setPacketTap installs fn, called in the read loop with the plaintext (valid
// during the call only) and source of every memberlist packet an installed key
// authenticated: the digests' source addresses (digest_delegate.go).
func (t *Transport) setPacketTap(fn func(plain []byte, from netip.AddrPort)) { t.tap.Store(&fn) }

// FinalAdvertiseAddr implements memberlist.Transport: ip when given, else the bind
// address, else (bound to all addresses) the first global unicast interface
// address.
func (t *Transport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	if port == 0 {
		port = t.port
	}
	if ip != "" {
		parsed := net.ParseIP(ip)
		if parsed == nil {
			return nil, 0, fmt.Errorf("gossip: invalid advertise address %q", ip)
		}
		return parsed, port, nil
	}
	if !t.bindIP.IsUnspecified() {
		return t.bindIP, port, nil
	}
	addr, err := firstUnicastAddr()
	if err != nil {
		return nil, 0, err
	}
	return addr, port, nil
}

func firstUnicastAddr() (net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("gossip: listing interface addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() && n.IP.To4() != nil {
			return n.IP, nil
		}
	}
	return nil, errors.New("gossip: no address to advertise: set the advertise address (POD_IP)")
}

// WriteTo implements memberlist.Transport.
func (t *Transport) WriteTo(b []byte, addr string) (time.Time, error) {
	to, err := resolveUDP(addr)
	if err != nil {
		return time.Time{}, err
	}
	now := time.Now()
	return now, t.writeUDP(b, to)
}

// WriteToAddress implements memberlist.NodeAwareTransport.
func (t *Transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

func resolveUDP(addr string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap, nil
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("gossip: resolving %q: %w", addr, err)
	}
	return ua.AddrPort(), nil
}

func (t *Transport) writeUDP(b []byte, to netip.AddrPort) error {
	t.stats.pout.Add(1)
	t.stats.bout.Add(uint64(len(b)))
	if t.delay > 0 {
		buf := bytes.Clone(b)
		time.AfterFunc(t.delay, func() { _, _ = t.udp.WriteToUDPAddrPort(buf, to) })
		return nil
	}
	_, err := t.udp.WriteToUDPAddrPort(b, to)
	return err
}

// sendEcho sends an echo request and returns the time just before the write.
func (t *Transport) sendEcho(p echoPacket, key []byte, to netip.AddrPort) (time.Time, error) {
	var buf [echoLen + sha256Overhead]byte
	pkt := t.wire.appendEcho(buf[:0], p, key)
	sent := time.Now()
	return sent, t.writeUDP(pkt, to)
}

// sha256Overhead is spare room for appendEcho's full HMAC before truncation.
const sha256Overhead = 16

// PacketCh implements memberlist.Transport.
func (t *Transport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// StreamCh implements memberlist.Transport.
func (t *Transport) StreamCh() <-chan net.Conn { return t.streamCh }

// DialTimeout implements memberlist.Transport.
func (t *Transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.Dial("tcp", addr)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport.
func (t *Transport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}

// Shutdown implements memberlist.Transport: it closes the sockets and waits for
// the loops to end.
func (t *Transport) Shutdown() error {
	if !t.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(t.done)
	err := errors.Join(t.tcp.Close(), t.udp.Close())
	t.wg.Wait()
	return err
}

func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		conn, err := t.tcp.AcceptTCP()
		if err != nil {
			if t.closed.Load() {
				return
			}
			t.log.Warn("gossip: accepting a TCP connection failed", "err", err)
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		t.admit(conn)
	}
}

// admit takes a stream slot for conn and screens its first frame header in a
// goroutine of its own, then hands it to memberlist; a refused stream is closed.
func (t *Transport) admit(conn net.Conn) {
	src, err := sourceAddr(conn)
	reason := RefusedStreams
	if err == nil {
		reason = t.guard.admit(src)
	}
	if reason != "" {
		t.log.Debug("gossip: stream refused", "peer", conn.RemoteAddr().String(), "reason", reason)
		_ = conn.Close()
		return
	}
	t.wg.Go(func() {
		screened, reason := t.guard.screen(conn, src)
		if reason != "" {
			t.log.Debug("gossip: stream refused", "peer", conn.RemoteAddr().String(), "reason", reason)
			_ = conn.Close()
			return
		}
		select {
		case t.streamCh <- screened:
		case <-t.done:
			_ = screened.Close()
		}
	})
}

// Refused returns how many streams and packets were refused before
// authentication, per reason (every reason present).
func (t *Transport) Refused() map[string]uint64 { return t.guard.counts() }

func (t *Transport) readLoop() {
	defer t.wg.Done()
	buf := make([]byte, 65536)
	oob := make([]byte, 128)
	for {
		n, from, rx, err := t.readPacket(buf, oob)
		if err != nil {
			if t.closed.Load() {
				return
			}
			if !strings.Contains(err.Error(), "message too long") {
				t.log.Warn("gossip: reading a UDP packet failed", "err", err)
			}
			continue
		}
		if n < 1 {
			continue
		}
		t.stats.pin.Add(1)
		t.stats.bin.Add(uint64(n))
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if t.wire.isEcho(buf[:n]) {
			t.handleEcho(buf[:n], from, rx)
			continue
		}
		if reason := t.screen.check(buf[:n]); reason != "" {
			t.guard.refuse(reason)
			continue
		}
		if tap := t.tap.Load(); tap != nil && t.screen.plain != nil {
			(*tap)(t.screen.plain, from)
		}
		pkt := &memberlist.Packet{Buf: bytes.Clone(buf[:n]), From: net.UDPAddrFromAddrPort(from), Timestamp: rx}
		select {
		case t.packetCh <- pkt:
		case <-t.done:
			return
		}
	}
}

// handleEcho answers an authenticated request with a response of the same size,
// and hands an authenticated response to the prober.
func (t *Transport) handleEcho(b []byte, from netip.AddrPort, rx time.Time) {
	h := t.echo.Load()
	if h == nil {
		return
	}
	p, key, err := t.wire.readEcho(b, h.keys())
	if err != nil {
		if errors.Is(err, ErrUnsupportedVersion) && h.unsupported != nil {
			h.unsupported(err, from)
		}
		return
	}
	switch p.kind {
	case echoRequest:
		p.kind = echoResponse
		var buf [echoLen + sha256Overhead]byte
		p.hold = time.Since(rx) // time spent here, which the prober subtracts
		if err := t.writeUDP(t.wire.appendEcho(buf[:0], p, key), from); err != nil {
			t.log.Debug("gossip: answering an echo probe failed", "peer", from.String(), "err", err)
		}
	case echoResponse:
		h.onResponse(p, from, rx)
	}
}
