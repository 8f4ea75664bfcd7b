package controlplane

import (
	"fmt"
	"net"
	"strconv"
)

// FreePort returns a TCP port on host that was free a moment ago. Another process
// may take it before the caller binds it; Start retries once when that happens.
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s: %w", host, err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s: %w", host, err)
	}
	return strconv.Atoi(port)
}

func freePorts(host string, n int) ([]int, error) {
	// Hold all listeners open until every port is picked so that the n are distinct.
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("finding a free port on %s: %w", host, err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
