package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// maxTCPRead caps what a tcp check reads while waiting for expect to match.
const maxTCPRead = 4 << 10

// tcpProber connects, optionally sends, and optionally waits for expect.
type tcpProber struct {
	spec   spec.Check
	expect *regexp.Regexp
}

// newTCPProber builds the prober of a valid tcp spec.
func newTCPProber(s spec.Check, _ proberEnv) (prober, error) {
	t := &tcpProber{spec: s}
	if s.Expect != "" {
		t.expect = regexp.MustCompile(s.Expect)
	}
	return t, nil
}

// probe runs one connection.
func (t *tcpProber) probe(ctx context.Context, _ *observation) error {
	d := net.Dialer{KeepAlive: -1}
	conn, err := d.DialContext(ctx, "tcp", t.spec.Address)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if t.spec.Send != "" {
		if _, err := io.WriteString(conn, t.spec.Send); err != nil {
			return fmt.Errorf("send: %w", ctxErr(ctx, err))
		}
	}
	if t.expect == nil {
		return nil
	}
	return t.awaitExpect(ctx, conn)
}

// awaitExpect reads until expect matches, the peer stops, or maxTCPRead bytes.
func (t *tcpProber) awaitExpect(ctx context.Context, conn net.Conn) error {
	buf := make([]byte, 0, maxTCPRead)
	for len(buf) < maxTCPRead {
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if t.expect.Match(buf) {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("connection closed after %d bytes without matching expect %q", len(buf), t.spec.Expect)
		}
		if err != nil {
			return fmt.Errorf("read: %w", ctxErr(ctx, err))
		}
	}
	return fmt.Errorf("no match for expect %q in the first %d bytes", t.spec.Expect, maxTCPRead)
}

// ctxErr prefers the context's error (a timeout) over the error of a connection
// the context closed.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
