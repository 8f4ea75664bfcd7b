package freeport

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPickNeverRepeatsAndStaysBelowEphemeralRange(t *testing.T) {
	seen := map[int]bool{}
	for range 300 {
		port := TCPAndUDP(t)
		require.False(t, seen[port], "port %d handed out twice", port)
		seen[port] = true
		assert.GreaterOrEqual(t, port, minPort)
		assert.Less(t, port, maxPort)
	}
}

func TestPickSkipsPortsInUse(t *testing.T) {
	port := TCP(t)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	require.NoError(t, err, "a port from TCP must be bindable")
	defer l.Close()
	assert.False(t, free("127.0.0.1", port, false), "a bound port is not free")

	udpPort := TCP(t)
	pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(udpPort)))
	require.NoError(t, err)
	defer pc.Close()
	assert.True(t, free("127.0.0.1", udpPort, false), "free for TCP")
	assert.False(t, free("127.0.0.1", udpPort, true), "not free for UDP")
}

func TestEphemeralStart(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, "range")
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	assert.Equal(t, 40000, ephemeralStart(write("40000\t60999\n")))
	assert.Equal(t, defaultEphemeralStart, ephemeralStart(write("1024 65535\n")), "a range starting too low leaves no room below it")
	assert.Equal(t, defaultEphemeralStart, ephemeralStart(write("garbage")))
	assert.Equal(t, defaultEphemeralStart, ephemeralStart(filepath.Join(dir, "missing")))
}
