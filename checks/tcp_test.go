package checks

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// tcpServer runs handle on every connection to a local port until the test ends.
func tcpServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				handle(c)
			}()
		}
	}()
	return l.Addr().String()
}

func TestTCPCheck(t *testing.T) {
	banner := tcpServer(t, func(c net.Conn) { _, _ = io.WriteString(c, "220 mail.test ESMTP ready\r\n") })
	echo := tcpServer(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		_, _ = io.WriteString(c, "+"+strings.ToUpper(line))
	})
	closer := tcpServer(t, func(c net.Conn) { _, _ = io.WriteString(c, "bye") })
	chatty := tcpServer(t, func(c net.Conn) { _, _ = io.WriteString(c, strings.Repeat("x", 5000)) })

	tests := []struct {
		name   string
		spec   string
		result string
		errHas string
	}{
		{"connect", "address: " + banner, ResultSuccess, ""},
		{"banner matches", "address: " + banner + "\n  expect: '^220 '", ResultSuccess, ""},
		{"send and expect", "address: " + echo + "\n  send: \"ping\\n\"\n  expect: '^\\+PING'", ResultSuccess, ""},
		{"closed without match", "address: " + closer + "\n  expect: '^220'", ResultFailure,
			`connection closed after 3 bytes without matching expect "^220"`},
		{"no match in first 4 KiB", "address: " + chatty + "\n  expect: 'y'", ResultFailure,
			`no match for expect "y" in the first 4096 bytes`},
		{"refused", "address: " + freeport.Addr(t), ResultFailure, "connection refused"},
		{"silent peer times out", "address: " + silentListener(t) + "\n  expect: '^220'\n  timeout: 300ms", ResultTimeout,
			"timed out after 300ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := runSpec(t, "- name: c\n  type: tcp\n  "+tc.spec, testEnv(nil))
			assert.Equal(t, tc.result, rec.result, "err: %v", rec.err)
			if tc.errHas == "" {
				assert.NoError(t, rec.err)
				return
			}
			require.Error(t, rec.err)
			assert.Contains(t, rec.err.Error(), tc.errHas)
		})
	}
}
