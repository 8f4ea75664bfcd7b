package sidecar

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
)

// startMember runs an in-process gossip member of namespace ns with role on
// 127.0.0.1 until the test ends.
func startMember(t *testing.T, keyDir, ns, pod, role string, join []string) *gossip.Mesh {
	t.Helper()
	cfg := gossip.DefaultConfig()
	cfg.Name = gossip.MemberName(ns, pod, "")
	cfg.Meta = gossip.Meta{Pod: pod, Namespace: ns, Node: "node-a", Role: role}
	cfg.BindAddr, cfg.BindPort, cfg.Join = "127.0.0.1", 0, join
	cfg.KeyFile = filepath.Join(keyDir, "keys")
	cfg.EchoInterval = 0
	cfg.Logger, cfg.Registerer = slog.New(slog.DiscardHandler), prometheus.NewRegistry()
	m, err := gossip.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool { return m.Status().Ready() }, 10*time.Second, 10*time.Millisecond)
	return m
}

// TestMembersViews: by default a caller sees only the pod's own namespace,
// without key fingerprints, and counts of the whole mesh; "all" shows every
// member with its keys; "off" answers 404.
func TestMembersViews(t *testing.T) {
	keys := t.TempDir()
	writeKeyFile(t, keys, newKey(t))
	self := startMember(t, keys, "team-a", "web-1", gossip.RoleSidecar, nil)
	seed := []string{self.Addr().String()}
	startMember(t, keys, "team-a", "web-2", gossip.RoleSidecar, seed)
	startMember(t, keys, "team-b", "db-1", gossip.RoleSidecar, seed)
	startMember(t, keys, "meshprobe-system", "cp-1", gossip.RoleControlPlane, seed)
	require.Eventually(t, func() bool { return self.Status().Members == 4 }, 20*time.Second, 20*time.Millisecond)

	get := func(t *testing.T, view MembersView) (int, membersResponse) {
		t.Helper()
		srv := httptest.NewServer(newHandler(self, prometheus.NewRegistry(), nil, view, slog.New(slog.DiscardHandler)))
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL + PathMembers)
		require.NoError(t, err)
		defer resp.Body.Close()
		var r membersResponse
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
		}
		return resp.StatusCode, r
	}
	wantCounts := memberCounts{
		ByState:    map[string]int{gossip.StateAlive: 4, gossip.StateSuspect: 0, gossip.StateDead: 0, gossip.StateLeft: 0},
		LiveByRole: map[string]int{gossip.RoleSidecar: 3, gossip.RoleAgent: 0, gossip.RoleControlPlane: 1},
	}

	t.Run("namespace (default)", func(t *testing.T) {
		code, r := get(t, "")
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, MembersViewNamespace, r.View)
		var pods []string
		for _, m := range r.Members {
			pods = append(pods, m.Meta.Namespace+"/"+m.Meta.Pod)
			assert.Empty(t, m.Meta.Keys, "%s: no key fingerprints", m.Name)
		}
		assert.ElementsMatch(t, []string{"team-a/web-1", "team-a/web-2"}, pods)
		assert.Equal(t, wantCounts, r.Counts)
		assert.Equal(t, 4, r.Status.Members)
	})
	t.Run("all", func(t *testing.T) {
		code, r := get(t, MembersViewAll)
		require.Equal(t, http.StatusOK, code)
		require.Len(t, r.Members, 4)
		for _, m := range r.Members {
			assert.NotEmpty(t, m.Meta.Keys, "%s: keys listed", m.Name)
		}
		assert.Equal(t, wantCounts, r.Counts)
	})
	t.Run("off", func(t *testing.T) {
		code, _ := get(t, MembersViewOff)
		assert.Equal(t, http.StatusNotFound, code)
	})
	t.Run("the namespace view does not strip the mesh's own copy", func(t *testing.T) {
		get(t, MembersViewNamespace)
		for _, m := range self.Members() {
			assert.NotEmpty(t, m.Meta.Keys, "%s", m.Name)
		}
	})
}

func TestMembersViewConfig(t *testing.T) {
	env := map[string]string{"POD_NAME": "p", "POD_NAMESPACE": "ns"}
	load := func(args ...string) (Config, error) {
		return LoadConfig(args, func(k string) string { return env[k] }, nil)
	}
	c, err := load()
	require.NoError(t, err)
	assert.Equal(t, MembersViewNamespace, c.MembersView)
	env[EnvMembersView] = "all"
	c, err = load()
	require.NoError(t, err)
	assert.Equal(t, MembersViewAll, c.MembersView)
	c, err = load("--members-view=off")
	require.NoError(t, err)
	assert.Equal(t, MembersViewOff, c.MembersView)
	_, err = load("--members-view=everything")
	require.ErrorContains(t, err, `members view "everything": want namespace, all or off`)
}
