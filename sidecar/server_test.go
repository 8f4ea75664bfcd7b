package sidecar

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

func TestHandlerWhileWaitingForKey(t *testing.T) {
	cfg := gossip.DefaultConfig()
	cfg.Name, cfg.KeyFile = "ns/p/00000001", filepath.Join(t.TempDir(), "keys")
	cfg.Meta = gossip.Meta{Pod: "p", Namespace: "ns"}
	mesh, err := gossip.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(newHandler(mesh, prometheus.NewRegistry(), nil, "", slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	tests := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", PathHealthz, http.StatusOK, "ok\n"},
		{"HEAD", PathHealthz, http.StatusOK, ""},
		{"POST", PathHealthz, http.StatusMethodNotAllowed, ""},
		{"GET", PathReadyz, http.StatusServiceUnavailable, `"state": "waiting-for-key"`},
		{"GET", PathMembers, http.StatusOK, `"self": "ns/p/00000001"`},
		{"GET", PathChecks, http.StatusNotFound, ""},
		{"GET", "/nope", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, nil)
			require.NoError(t, err)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tt.code, resp.StatusCode)
			assert.Contains(t, string(b), tt.body)
		})
	}
}

func TestAgentAppliesPodInfoChanges(t *testing.T) {
	dir := t.TempDir()
	keys, info := filepath.Join(dir, "keys"), filepath.Join(dir, "podinfo")
	writeKeyFile(t, keys, newKey(t))
	atomicWrite(t, info, map[string]string{"labels": "app=\"v1\"\n", "annotations": ""})
	cfg := Config{
		PodName: "p", PodNamespace: "ns", PodIP: "127.0.0.1", NodeName: "n",
		GossipBindAddr: "127.0.0.1", GossipPort: freeport.TCPAndUDP(t), GossipKeyDir: keys,
		HTTPAddr: "127.0.0.1", HTTPPort: freeport.TCP(t), PodInfoDir: info,
		RTTInterval: time.Second, RTTPeers: 3, RTTTimeout: time.Second,
		PollInterval: 20 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
	}
	agent, err := NewAgent(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.Equal(t, "v1", agent.Mesh().LocalMeta().App, "the first read fills the metadata")

	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	base := "http://" + net.JoinHostPort("127.0.0.1", itoa(cfg.HTTPPort))
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + PathReadyz)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)

	atomicWrite(t, info, map[string]string{"labels": "app=\"v2\"\napp.kubernetes.io/version=\"2.0\"\n", "annotations": ""})
	require.Eventually(t, func() bool { return agent.Mesh().LocalMeta().App == "v2" }, 5*time.Second, 20*time.Millisecond)

	resp, err := http.Get(base + PathMembers)
	require.NoError(t, err)
	defer resp.Body.Close()
	var members membersResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&members))
	require.Len(t, members.Members, 1)
	assert.Equal(t, "2.0", members.Members[0].Meta.AppVersion)
	assert.True(t, members.Status.Alone)

	// The checks annotation reloads live; an invalid one keeps the last good set.
	atomicWrite(t, info, map[string]string{"labels": "app=\"v2\"\n",
		"annotations": "meshprobe.io/checks=\"- name: db\\n  type: tcp\\n  address: 127.0.0.1:1\\n\"\n"})
	require.Eventually(t, func() bool {
		rep := getChecks(t, base)
		return len(rep.Checks) == 1 && rep.Checks[0].Name == "db"
	}, 5*time.Second, 20*time.Millisecond)
	atomicWrite(t, info, map[string]string{"labels": "app=\"v2\"\n",
		"annotations": "meshprobe.io/checks=\"- name: db\\n  type: nosuch\\n\"\n"})
	require.Eventually(t, func() bool { return !getChecks(t, base).LastReloadSuccessful }, 5*time.Second, 20*time.Millisecond)
	rep := getChecks(t, base)
	assert.Contains(t, rep.LastReloadError, "nosuch")
	require.Len(t, rep.Checks, 1, "the last good set keeps running")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop")
	}
}

func getChecks(t *testing.T, base string) checks.Report {
	t.Helper()
	resp, err := http.Get(base + PathChecks)
	require.NoError(t, err)
	defer resp.Body.Close()
	var rep checks.Report
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	return rep
}
