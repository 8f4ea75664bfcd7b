package gossip

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// memberlist's stream frames start with a message type; with encryption on (it
// always is here), every frame a member sends is encryptMsg, a big-endian
// uint32 length and that many bytes of ciphertext.
const (
	encryptMsgType    = 10
	streamHeaderBytes = 5
)

// Defaults of StreamLimits. DefaultMaxFrameBytes holds the push/pull of the
// largest mesh meshprobe supports: 3,400 members with every name at its longest
// and 512-byte metadata (921 bytes each), 10,000 with typical names (about 300
// bytes each); see README.md, "Bounds before authentication". The pending budget
// admits one such frame and the small ones of other peers at once.
const (
	DefaultMaxStreams           = 32
	DefaultMaxStreamsPerSource  = 4
	DefaultMaxFrameBytes        = 3 << 20
	DefaultMaxPendingBytes      = 4 << 20
	DefaultStreamHeaderDeadline = 2 * time.Second
	DefaultStreamFrameDeadline  = 5 * time.Second
)

// StreamLimits bound what the Transport accepts before memberlist reads a stream
// and tries to decrypt it, so a peer without the key cannot make a member hold
// more than about 3 × MaxPendingBytes (memberlist's growing read buffer and its
// decryption copy) however many connections it opens. Zero fields take the
// defaults.
type StreamLimits struct {
	// MaxStreams caps the inbound streams open at once, from all sources.
	MaxStreams int
	// MaxStreamsPerSource caps the inbound streams open at once from one IP.
	MaxStreamsPerSource int
	// MaxFrameBytes refuses a stream whose first frame declares more bytes.
	MaxFrameBytes uint32
	// MaxPendingBytes caps the sum of the declared frame lengths of the open
	// streams; one source may hold at most MaxFrameBytes of it.
	MaxPendingBytes int64
	// HeaderDeadline is how long a peer has to send a frame's first 5 bytes,
	// FrameDeadline how long then for the rest of the first frame; memberlist
	// then gives it its TCPTimeout for the rest of the stream.
	HeaderDeadline, FrameDeadline time.Duration
}

func (l StreamLimits) withDefaults() StreamLimits {
	if l.MaxStreams <= 0 {
		l.MaxStreams = DefaultMaxStreams
	}
	if l.MaxStreamsPerSource <= 0 {
		l.MaxStreamsPerSource = DefaultMaxStreamsPerSource
	}
	if l.MaxFrameBytes == 0 {
		l.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if l.MaxPendingBytes <= 0 {
		l.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if l.HeaderDeadline <= 0 {
		l.HeaderDeadline = DefaultStreamHeaderDeadline
	}
	if l.FrameDeadline <= 0 {
		l.FrameDeadline = DefaultStreamFrameDeadline
	}
	return l
}

// Reasons a stream or a packet is refused before authentication, the reason
// label of meshprobe_gossip_refused_total.
const (
	RefusedStreams     = "streams"     // MaxStreams open
	RefusedSource      = "source"      // MaxStreamsPerSource open from this IP
	RefusedHeader      = "header"      // no frame header within HeaderDeadline
	RefusedUnencrypted = "unencrypted" // the first frame is not an encrypted one
	RefusedFrameSize   = "frame-size"  // declared frame longer than MaxFrameBytes
	RefusedPending     = "pending"     // the declared bytes do not fit the pending budget
	RefusedFrameRead   = "frame-read"  // the frame did not arrive whole within FrameDeadline
	RefusedStreamAuth  = "stream-auth" // no installed key authenticates the frame
	RefusedPacketSize  = "packet-size" // UDP packet too short or too long to be gossip
	RefusedPacketType  = "packet-type" // UDP packet with no encryption version
	RefusedPacketAuth  = "packet-auth" // UDP packet no installed key authenticates
)

// streamReasons and packetReasons list the refusal reasons per kind, in display
// order.
var (
	streamReasons = []string{RefusedStreams, RefusedSource, RefusedHeader, RefusedUnencrypted, RefusedFrameSize, RefusedPending, RefusedFrameRead, RefusedStreamAuth}
	packetReasons = []string{RefusedPacketSize, RefusedPacketType, RefusedPacketAuth}
)

// sourceUse is what one source IP holds.
type sourceUse struct {
	streams int
	pending int64
}

// streamGuard admits inbound streams within StreamLimits and counts refusals.
// Safe for concurrent use.
type streamGuard struct {
	limits StreamLimits
	auth   *frameAuth

	mu      sync.Mutex
	open    int
	pending int64
	sources map[netip.Addr]*sourceUse
	refused map[string]uint64
}

func newStreamGuard(l StreamLimits, keys func() [][]byte) *streamGuard {
	l = l.withDefaults()
	return &streamGuard{limits: l, auth: &frameAuth{keys: keys, maxFrame: l.MaxFrameBytes},
		sources: map[netip.Addr]*sourceUse{}, refused: map[string]uint64{}}
}

// admit takes a stream slot for src, or returns the refusal reason.
func (g *streamGuard) admit(src netip.Addr) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.sources[src]
	switch {
	case g.open >= g.limits.MaxStreams:
		return g.refuseLocked(RefusedStreams)
	case u != nil && u.streams >= g.limits.MaxStreamsPerSource:
		return g.refuseLocked(RefusedSource)
	}
	if u == nil {
		u = &sourceUse{}
		g.sources[src] = u
	}
	g.open++
	u.streams++
	return ""
}

// reserve adds a declared frame length to src's pending bytes, or returns the
// refusal reason.
func (g *streamGuard) reserve(src netip.Addr, n uint32) string {
	if n > g.limits.MaxFrameBytes {
		return g.refuse(RefusedFrameSize)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	u := g.sources[src]
	if g.pending+int64(n) > g.limits.MaxPendingBytes || u.pending+int64(n) > int64(g.limits.MaxFrameBytes) {
		return g.refuseLocked(RefusedPending)
	}
	g.pending += int64(n)
	u.pending += int64(n)
	return ""
}

// release gives back a stream slot and its pending bytes.
func (g *streamGuard) release(src netip.Addr, n int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open--
	g.pending -= n
	u := g.sources[src]
	u.streams--
	u.pending -= n
	if u.streams == 0 {
		delete(g.sources, src)
	}
}

func (g *streamGuard) refuse(reason string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refuseLocked(reason)
}

func (g *streamGuard) refuseLocked(reason string) string {
	g.refused[reason]++
	return reason
}

// counts returns the refusals per reason, every stream and packet reason
// present.
func (g *streamGuard) counts() map[string]uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]uint64, len(streamReasons)+len(packetReasons))
	for _, r := range append(append([]string{}, streamReasons...), packetReasons...) {
		out[r] = g.refused[r]
	}
	return out
}

// screen reads the first frame of an admitted stream within the deadlines and
// authenticates it, then returns the stream, frame included, for memberlist; or
// the refusal reason. The caller has called admit; screen releases the slot when
// it refuses, and the returned conn releases it on Close.
func (g *streamGuard) screen(conn net.Conn, src netip.Addr) (net.Conn, string) {
	hdr := make([]byte, streamHeaderBytes)
	n, reason := g.screenHeader(conn, src, hdr)
	if reason != "" {
		g.release(src, 0)
		return nil, reason
	}
	_ = conn.SetReadDeadline(time.Now().Add(g.limits.FrameDeadline))
	frame, freeFrame, reason := g.auth.read(conn, hdr, n)
	if reason != "" {
		g.refuse(reason)
		g.release(src, int64(n))
		return nil, reason
	}
	_ = conn.SetReadDeadline(time.Time{}) // memberlist sets its own
	freeFrame = sync.OnceFunc(freeFrame)
	r := io.MultiReader(bytes.NewReader(hdr), &releasingReader{r: bytes.NewReader(frame), release: freeFrame}, conn)
	return &guardedConn{Conn: conn, r: r, release: sync.OnceFunc(func() { freeFrame(); g.release(src, int64(n)) })}, ""
}

// screenHeader reads and checks the frame header within the header deadline and
// reserves the declared length.
func (g *streamGuard) screenHeader(conn net.Conn, src netip.Addr, hdr []byte) (uint32, string) {
	_ = conn.SetReadDeadline(time.Now().Add(g.limits.HeaderDeadline))
	if _, err := io.ReadFull(conn, hdr); err != nil {
		return 0, g.refuse(RefusedHeader)
	}
	if hdr[0] != encryptMsgType {
		return 0, g.refuse(RefusedUnencrypted)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	return n, g.reserve(src, n)
}

// guardedConn replays the screened header, then reads the connection; Close
// gives the stream's slot back.
type guardedConn struct {
	net.Conn
	r       io.Reader
	release func()
}

// Read implements net.Conn.
func (c *guardedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// Close implements net.Conn.
func (c *guardedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// sourceAddr is the IP a connection comes from.
func sourceAddr(conn net.Conn) (netip.Addr, error) {
	ta, ok := conn.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, errors.New("not a TCP connection")
	}
	return ta.AddrPort().Addr().Unmap(), nil
}
