package sidecar

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

func TestLoadConfigDigestInterval(t *testing.T) {
	cfg, err := loadWithPod(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 10*time.Second, cfg.DigestInterval, "default")
	cfg, err = loadWithPod(nil, map[string]string{EnvDigestInterval: "30s"})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, cfg.DigestInterval)
	cfg, err = loadWithPod([]string{"--digest-interval=0"}, map[string]string{EnvDigestInterval: "30s"})
	require.NoError(t, err)
	assert.Zero(t, cfg.DigestInterval, "the flag overrides the env; 0 disables digests")
	_, err = loadWithPod([]string{"--digest-interval=-1s"}, nil)
	require.ErrorContains(t, err, "digest-interval must not be negative")
}

// lastDigest keeps the latest digest a control-plane member received from each
// sender.
type lastDigest struct {
	mu sync.Mutex
	by map[string]gossip.Digest
}

func (l *lastDigest) get(name string) (gossip.Digest, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.by[name]
	return d, ok
}

// TestAgentSendsDigests: a real node agent (agent mode, checks from its file)
// sends the control plane a digest with its checks, the failing one first and
// with its error and consecutive failures, its echo RTT to the control-plane
// member and its network coordinate.
func TestAgentSendsDigests(t *testing.T) {
	dir := t.TempDir()
	keys, info := filepath.Join(dir, "keys"), filepath.Join(dir, "podinfo")
	writeKeyFile(t, keys, newKey(t))
	atomicWrite(t, info, map[string]string{"labels": "app.kubernetes.io/name=\"meshprobe-agent\"\n"})
	cp := startMember(t, keys, "meshprobe-system", "cp-1", gossip.RoleControlPlane, nil)
	got := &lastDigest{by: map[string]gossip.Digest{}}
	cp.OnDigest(func(from gossip.Member, d gossip.Digest) {
		got.mu.Lock()
		defer got.mu.Unlock()
		got.by[from.Name] = d
	})

	up, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = up.Close() })
	go acceptAndClose(up)
	checksFile := filepath.Join(dir, "checks.yaml")
	require.NoError(t, os.WriteFile(checksFile, []byte(
		"- {name: up, type: tcp, address: '"+up.Addr().String()+"', interval: 1s, timeout: 500ms}\n"+
			"- {name: down, type: tcp, address: '127.0.0.1:1', interval: 1s, timeout: 500ms}\n"), 0o644))
	cfg, err := loadWithPod([]string{
		"--mode=agent", "--checks-file=" + checksFile, "--pod-name=meshprobe-agent-x", "--pod-namespace=meshprobe-system",
		"--pod-ip=127.0.0.1", "--node-name=node-a", "--gossip-join=" + cp.Addr().String(),
		"--gossip-bind-addr=127.0.0.1", "--gossip-port=" + itoa(freeport.TCPAndUDP(t)), "--gossip-key-dir=" + keys,
		"--http-addr=127.0.0.1", "--http-port=" + itoa(freeport.TCP(t)), "--podinfo-dir=" + info,
		"--rtt-interval=100ms", "--digest-interval=200ms",
	}, nil)
	require.NoError(t, err)
	agent := runAgent(t, cfg, slog.New(slog.DiscardHandler))
	require.Eventually(t, func() bool { return agent.Mesh().Status().Members == 2 }, 10*time.Second, 20*time.Millisecond)

	var d gossip.Digest
	require.Eventually(t, func() bool {
		var ok bool
		d, ok = got.get(agent.Mesh().LocalName())
		return ok && len(d.Checks) == 2 && d.Checks[0].ConsecutiveFailures >= 2 && d.Checks[1].LastSuccess.After(time.Time{}) &&
			len(d.RTT) > 0 && d.Coord != nil
	}, 20*time.Second, 50*time.Millisecond, "the control plane gets the agent's checks, RTT and coordinate; last: %+v", d)

	down, upCheck := d.Checks[0], d.Checks[1]
	assert.Equal(t, "down", down.Name, "the failing check first")
	assert.Equal(t, "tcp", down.Type)
	assert.Equal(t, "failure", down.Result)
	assert.Contains(t, down.Error, "refused")
	assert.True(t, down.LastSuccess.IsZero())
	assert.WithinDuration(t, d.Sent, down.LastRun, 5*time.Second)
	assert.Equal(t, "up", upCheck.Name)
	assert.Equal(t, "success", upCheck.Result)
	assert.Zero(t, upCheck.ConsecutiveFailures)
	assert.Equal(t, cp.LocalName(), d.RTT[0].Peer)
	assert.Positive(t, d.RTT[0].Seconds)
	assert.Less(t, d.RTT[0].Seconds, 0.1, "loopback")
	assert.Len(t, d.Coord.Vec, gossip.CoordinateDimensions)
	assert.Equal(t, agent.Mesh().LocalName(), d.Member)
}

// acceptAndClose accepts connections and closes them until ln is closed.
func acceptAndClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.Close()
	}
}
