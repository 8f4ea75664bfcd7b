package gossip

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzStreamScreen feeds arbitrary bytes, as a peer without the key would send
// them, to the stream screen: never a panic; a stream is handed on only when a
// key authenticates its first frame, and then replays exactly what was sent; the
// slot and the pending bytes always come back.
func FuzzStreamScreen(f *testing.F) {
	key := newKey(f)
	f.Add(sealedFrame(f, key, 64))
	f.Add(frameHeader(3 << 20))
	f.Add([]byte{encryptMsgType, 0, 0, 0, 40, 1})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		g := newStreamGuard(StreamLimits{MaxFrameBytes: 1 << 16, HeaderDeadline: 50 * time.Millisecond, FrameDeadline: 50 * time.Millisecond},
			func() [][]byte { return [][]byte{key} })
		server, client := net.Pipe()
		defer client.Close()
		go func() { _, _ = client.Write(in); _ = client.Close() }()
		src := mustAddr("10.0.0.1")
		if g.admit(src) != "" {
			t.Fatal("the first stream is refused")
		}
		conn, reason := g.screen(server, src)
		if reason == "" {
			got, _ := io.ReadAll(conn)
			if !bytes.HasPrefix(in, got[:min(len(got), len(in))]) || len(got) < streamHeaderBytes {
				t.Fatalf("handed on %d bytes that are not what was sent", len(got))
			}
			_ = conn.Close()
		} else {
			_ = server.Close()
		}
		if g.open != 0 || g.pending != 0 || len(g.sources) != 0 {
			t.Fatalf("not released: open %d, pending %d, sources %d", g.open, g.pending, len(g.sources))
		}
	})
}
