package sidecar

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// logBuffer is a log destination that tests read while the agent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// startFileAgent runs an agent-mode Agent whose checks file is in checksDir (an
// empty directory: the optional ConfigMap volume before the ConfigMap exists).
func startFileAgent(t *testing.T, checksDir string, log *logBuffer) (*Agent, string) {
	t.Helper()
	dir := t.TempDir()
	keys, info := filepath.Join(dir, "keys"), filepath.Join(dir, "podinfo")
	writeKeyFile(t, keys, newKey(t))
	atomicWrite(t, info, map[string]string{"labels": "app.kubernetes.io/name=\"meshprobe-agent\"\n"})
	cfg := Config{
		Mode: ModeAgent, ChecksFile: filepath.Join(checksDir, "checks.yaml"),
		PodName: "meshprobe-agent-x", PodNamespace: "meshprobe-system", PodIP: "127.0.0.1", NodeName: "node-a",
		OwnerKind: AgentOwnerKind, OwnerName: AgentOwnerName,
		GossipBindAddr: "127.0.0.1", GossipPort: freeport.TCPAndUDP(t), GossipKeyDir: keys,
		HTTPAddr: "127.0.0.1", HTTPPort: freeport.TCP(t), PodInfoDir: info,
		RTTInterval: time.Second, RTTPeers: 3, RTTTimeout: time.Second,
		PollInterval: 20 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
	}
	agent := runAgent(t, cfg, slog.New(slog.NewTextHandler(log, nil)))
	base := "http://" + net.JoinHostPort("127.0.0.1", itoa(cfg.HTTPPort))
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + PathHealthz)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)
	return agent, base
}

// checkNames returns the names of the checks base reports, and whether the last
// reload succeeded.
func checkNames(t *testing.T, base string) ([]string, bool) {
	rep := getChecks(t, base)
	var out []string
	for _, c := range rep.Checks {
		out = append(out, c.Name)
	}
	return out, rep.LastReloadSuccessful
}

func tcpChecks(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString("- name: " + n + "\n  type: tcp\n  address: 127.0.0.1:1\n  interval: 1s\n  timeout: 500ms\n")
	}
	return b.String()
}

// TestAgentModeChecksFile: an agent starts without its checks file (no checks,
// said once), loads the file when the kubelet writes it, reloads it on every
// change, keeps the last good set when it is invalid or unreadable, and runs no
// checks once it is gone.
func TestAgentModeChecksFile(t *testing.T) {
	checksDir := t.TempDir()
	var log logBuffer
	agent, base := startFileAgent(t, checksDir, &log)
	assert.Equal(t, gossip.RoleAgent, agent.Mesh().LocalMeta().Role)
	assert.Equal(t, "meshprobe-agent", agent.Mesh().LocalMeta().App, "labels are still read")
	assert.Equal(t, "DaemonSet", agent.Mesh().LocalMeta().OwnerKind)

	names, ok := checkNames(t, base)
	assert.Empty(t, names)
	assert.True(t, ok, "a missing file is no checks, not an error")
	time.Sleep(100 * time.Millisecond) // several polls
	assert.Equal(t, 1, log.count("agent: no checks file"), "said once")

	eventually := func(want []string, ok bool, msg string) {
		t.Helper()
		require.Eventually(t, func() bool {
			names, good := checkNames(t, base)
			return slices.Equal(names, want) && good == ok
		}, 5*time.Second, 20*time.Millisecond, msg)
	}
	atomicWrite(t, checksDir, map[string]string{"checks.yaml": tcpChecks("db")})
	eventually([]string{"db"}, true, "the file appears and loads")
	atomicWrite(t, checksDir, map[string]string{"checks.yaml": tcpChecks("db", "cache")})
	eventually([]string{"db", "cache"}, true, "a change reloads")
	atomicWrite(t, checksDir, map[string]string{"checks.yaml": "- name: db\n  type: nosuch\n"})
	eventually([]string{"db", "cache"}, false, "an invalid file keeps the last good set")
	assert.Contains(t, getChecks(t, base).LastReloadError, "nosuch")

	atomicWrite(t, checksDir, map[string]string{"checks.yaml": tcpChecks("web")})
	eventually([]string{"web"}, true, "a good file again")
	path := filepath.Join(checksDir, "checks.yaml")
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Mkdir(path, 0o755)) // unreadable as a file
	require.Eventually(t, func() bool { return log.count("checks file unreadable") == 1 }, 5*time.Second, 20*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // several polls
	assert.Equal(t, 1, log.count("checks file unreadable"), "a lasting error is said once")
	names, _ = checkNames(t, base)
	assert.Equal(t, []string{"web"}, names, "an unreadable file keeps the last good set")

	require.NoError(t, os.Remove(path))
	eventually(nil, true, "a file that is gone is no checks")
	assert.Equal(t, 2, log.count("agent: no checks file"), "said again when it goes")
}
