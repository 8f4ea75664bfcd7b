// Package freeport hands out loopback ports for test servers and the local
// cluster's components, for callers that must name a port before a process
// binds it.
//
// A port from net.Listen(":0") that is closed again comes from the kernel's
// ephemeral range: the kernel may give the same port to the next such call, or
// to any outgoing connection on the machine, before the caller's process binds
// it. freeport picks ports below the ephemeral range instead, checks that they
// are free, and never hands out a port twice in one process.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Ports are picked from [minPort, the ephemeral range's first port).
const (
	minPort = 10000
	// defaultEphemeralStart is Linux's default when the range can't be read.
	defaultEphemeralStart = 32768
	tries                 = 500
)

var (
	mu       sync.Mutex
	issued   = map[int]bool{}
	maxPort  int // exclusive
	initOnce sync.Once
)

// Pick returns a port on host that is free for TCP (and for UDP too when udp
// is true, as memberlist binds both) and that Pick has not returned before in
// this process.
func Pick(host string, udp bool) (int, error) {
	initOnce.Do(func() { maxPort = ephemeralStart("/proc/sys/net/ipv4/ip_local_port_range") })
	mu.Lock()
	defer mu.Unlock()
	for range tries {
		port := minPort + rand.IntN(maxPort-minPort)
		if issued[port] || !free(host, port, udp) {
			continue
		}
		issued[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("freeport: no free port on %s in %d tries between %d and %d", host, tries, minPort, maxPort-1)
}

// TCP returns a port free for TCP on 127.0.0.1, failing tb if there is none.
func TCP(tb testing.TB) int {
	tb.Helper()
	return mustPick(tb, false)
}

// TCPAndUDP returns a port free for both TCP and UDP on 127.0.0.1, failing tb if
// there is none.
func TCPAndUDP(tb testing.TB) int {
	tb.Helper()
	return mustPick(tb, true)
}

// Addr returns "127.0.0.1:port" with a port from TCP.
func Addr(tb testing.TB) string {
	tb.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(mustPick(tb, false)))
}

func mustPick(tb testing.TB, udp bool) int {
	tb.Helper()
	port, err := Pick("127.0.0.1", udp)
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// free reports whether port can be bound on host now.
func free(host string, port int, udp bool) bool {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer func() { _ = l.Close() }()
	if !udp {
		return true
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	_ = pc.Close()
	return true
}

// ephemeralStart reads the first port of the kernel's ephemeral range from path
// ("32768\t60999"), falling back to Linux's default.
func ephemeralStart(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return defaultEphemeralStart
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return defaultEphemeralStart
	}
	start, err := strconv.Atoi(fields[0])
	if err != nil || start < minPort+1000 {
		return defaultEphemeralStart
	}
	return start
}
