package gossip

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newGuardedTransport(t *testing.T, limits StreamLimits, keys func() [][]byte) *Transport {
	t.Helper()
	tr, err := NewTransport(TransportConfig{BindAddr: "127.0.0.1", Limits: limits, Keys: keys})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tr.Shutdown() })
	return tr
}

func frameHeader(n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{encryptMsgType}, n)
}

// dialSend connects to tr and writes b.
func dialSend(t *testing.T, tr *Transport, b []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tr.Port())))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	if len(b) > 0 {
		_, err = c.Write(b)
		require.NoError(t, err)
	}
	return c
}

// requireClosedByPeer requires that the transport closed c without a word.
func requireClosedByPeer(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := c.Read(make([]byte, 1))
	assert.Zero(t, n)
	require.Error(t, err)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "closed, not left open: %v", err)
}

// sealedFrame is a stream frame as memberlist writes it: header, then the frame
// encrypted with key (encryption version 1) and the header as additional data,
// declaring n bytes in all.
func sealedFrame(t testing.TB, key []byte, n int) []byte {
	hdr := frameHeader(uint32(n))
	gcm := newGCM(t, key)
	out := make([]byte, 1+packetNonceBytes, n)
	out[0] = 1
	_, _ = rand.Read(out[1:])
	return append(hdr, gcm.Seal(out, out[1:1+packetNonceBytes], make([]byte, n-minPacketBytes), hdr)...)
}

func TestStreamGuardRefusesBeforeMemberlist(t *testing.T) {
	key := newKey(t)
	tr := newGuardedTransport(t, StreamLimits{MaxStreams: 8, MaxStreamsPerSource: 2, MaxFrameBytes: 1024,
		MaxPendingBytes: 1500, HeaderDeadline: 200 * time.Millisecond, FrameDeadline: 200 * time.Millisecond},
		func() [][]byte { return [][]byte{key} })

	requireClosedByPeer(t, dialSend(t, tr, []byte("GET / HTTP/1.1\r\n\r\n")))
	requireClosedByPeer(t, dialSend(t, tr, frameHeader(1025)))
	requireClosedByPeer(t, dialSend(t, tr, nil))                                          // says nothing: the header deadline
	requireClosedByPeer(t, dialSend(t, tr, append(frameHeader(100), 1, 2, 3)))            // then stops: the frame deadline
	requireClosedByPeer(t, dialSend(t, tr, sealedFrame(t, newKey(t), 100)))               // another key
	requireClosedByPeer(t, dialSend(t, tr, append(frameHeader(40), make([]byte, 40)...))) // garbage

	// A frame within the bounds reaches memberlist whole, header included.
	frame := sealedFrame(t, key, 100)
	_ = dialSend(t, tr, frame)
	got := receiveStream(t, tr)
	buf := make([]byte, len(frame))
	_, err := io.ReadFull(got, buf)
	require.NoError(t, err)
	assert.Equal(t, frame, buf)

	// One source holds 2 streams at most; the pending budget is per source too.
	_ = dialSend(t, tr, sealedFrame(t, key, 900))
	held := receiveStream(t, tr)
	requireClosedByPeer(t, dialSend(t, tr, sealedFrame(t, key, 100)))
	require.NoError(t, got.Close())
	requireClosedByPeer(t, dialSend(t, tr, sealedFrame(t, key, 600))) // 900 + 600 > 1024 from one source
	require.NoError(t, held.Close())
	_ = dialSend(t, tr, sealedFrame(t, key, 600))
	require.NoError(t, receiveStream(t, tr).Close(), "slots and bytes come back on Close")

	require.Eventually(t, func() bool { return tr.Refused()[RefusedPending] == 1 }, 5*time.Second, 10*time.Millisecond)
	counts := tr.Refused()
	for reason, want := range map[string]uint64{RefusedUnencrypted: 1, RefusedFrameSize: 1, RefusedHeader: 1, RefusedFrameRead: 1,
		RefusedStreamAuth: 2, RefusedSource: 1, RefusedPending: 1, RefusedStreams: 0} {
		assert.Equal(t, want, counts[reason], reason)
	}
}

func receiveStream(t *testing.T, tr *Transport) net.Conn {
	t.Helper()
	select {
	case c := <-tr.StreamCh():
		return c
	case <-time.After(5 * time.Second):
		t.Fatalf("a stream within the bounds was not handed on; refused %v", tr.Refused())
		return nil
	}
}

func TestFrameAuthSharesOneLargeBuffer(t *testing.T) {
	key := newKey(t)
	a := &frameAuth{keys: func() [][]byte { return [][]byte{newKey(t), key} }, maxFrame: 1 << 20}
	big := sealedFrame(t, key, smallFrameBytes+100)
	frame, release, reason := a.read(bytes.NewReader(big[streamHeaderBytes:]), big[:streamHeaderBytes], uint32(len(big)-streamHeaderBytes))
	require.Empty(t, reason)
	assert.Equal(t, big[streamHeaderBytes:], frame)
	_, _, reason = a.read(bytes.NewReader(big[streamHeaderBytes:]), big[:streamHeaderBytes], uint32(len(big)-streamHeaderBytes))
	assert.Equal(t, RefusedPending, reason, "one large frame at a time")
	release()
	_, release, reason = a.read(bytes.NewReader(big[streamHeaderBytes:]), big[:streamHeaderBytes], uint32(len(big)-streamHeaderBytes))
	assert.Empty(t, reason)
	release()
}

func TestStreamGuardGlobalCap(t *testing.T) {
	g := newStreamGuard(StreamLimits{MaxStreams: 2, MaxStreamsPerSource: 2}, nil)
	a, b := mustAddr("10.0.0.1"), mustAddr("10.0.0.2")
	require.Empty(t, g.admit(a))
	require.Empty(t, g.admit(b))
	assert.Equal(t, RefusedStreams, g.admit(mustAddr("10.0.0.3")))
	g.release(a, 0)
	assert.Empty(t, g.admit(mustAddr("10.0.0.3")))
	assert.Empty(t, g.reserve(b, DefaultMaxFrameBytes), "defaults: one largest frame fits")
	assert.Equal(t, RefusedFrameSize, g.reserve(b, DefaultMaxFrameBytes+1))
}

// sealPacket encrypts plain as memberlist does (encryption version 1, no label).
func sealPacket(t testing.TB, key, plain []byte) []byte {
	gcm := newGCM(t, key)
	out := make([]byte, 1+packetNonceBytes, 1+packetNonceBytes+len(plain)+gcm.Overhead())
	out[0] = 1
	_, _ = rand.Read(out[1:])
	return gcm.Seal(out, out[1:1+packetNonceBytes], plain, nil)
}

func newGCM(t testing.TB, key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	return gcm
}

func TestPacketScreen(t *testing.T) {
	key, other := newKey(t), newKey(t)
	keys := [][]byte{other, key}
	s := newPacketScreen(func() [][]byte { return keys })
	for _, tt := range []struct {
		name string
		pkt  []byte
		want string
	}{
		{"authentic", sealPacket(t, key, []byte("gossip")), ""},
		{"wrong key", sealPacket(t, newKey(t), []byte("gossip")), RefusedPacketAuth},
		{"short", []byte{1, 2, 3}, RefusedPacketSize},
		{"long", make([]byte, maxPacketBytes+1), RefusedPacketSize},
		{"not encrypted", append([]byte{4}, make([]byte, 40)...), RefusedPacketType},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, s.check(tt.pkt)) })
	}
	keys = [][]byte{other}
	assert.Equal(t, RefusedPacketAuth, s.check(sealPacket(t, key, []byte("gossip"))), "a removed key no longer authenticates")
	assert.Empty(t, newPacketScreen(nil).check(sealPacket(t, key, []byte("x"))), "no keyring yet: form only")
}

// BenchmarkPacketScreenGarbage measures what one garbage UDP packet of the
// largest gossip size costs the read loop with two keys installed.
func BenchmarkPacketScreenGarbage(b *testing.B) {
	keys := [][]byte{newKey(b), newKey(b)}
	s := newPacketScreen(func() [][]byte { return keys })
	pkt := make([]byte, 1400)
	_, _ = rand.Read(pkt)
	pkt[0] = 1
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if s.check(pkt) == "" {
			b.Fatal("garbage accepted")
		}
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
