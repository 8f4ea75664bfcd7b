package controlplane

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
)

func TestControlPlaneOptions(t *testing.T) {
	kubeconfig := offlineKubeconfig(t)
	t.Setenv(heartbeat.EnvAuthToken, "")
	t.Setenv(heartbeat.EnvRateLimit, "")
	build := func(args ...string) (*controlPlane, *bytes.Buffer, error) {
		o, err := parseOptions(append([]string{"--kubeconfig=" + kubeconfig, "--gossip-key-dir=" + t.TempDir()}, args...), io.Discard)
		require.NoError(t, err)
		logs := &bytes.Buffer{}
		cp, err := newControlPlane(o, slog.New(slog.NewTextHandler(logs, nil)), prometheus.NewRegistry())
		return cp, logs, err
	}

	cp, logs, err := build()
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "heartbeat API is off: set AUTH_TOKEN_BASIC")
	assert.Contains(t, logs.String(), "ThousandEyes sync is off")
	assert.Equal(t, []string{"informers", "gossip", "leader-election", "view-store", "view"}, componentNames(cp))
	assert.Empty(t, cp.readyChecks(), "no ThousandEyes sync, no extra readiness check")

	cp, _, err = build("--view-addr=0")
	require.NoError(t, err)
	assert.Equal(t, []string{"informers", "gossip", "leader-election"}, componentNames(cp))

	t.Setenv(heartbeat.EnvAuthToken, "tok")
	_, _, err = build("--heartbeat-rate-limit=lots")
	require.ErrorContains(t, err, `--heartbeat-rate-limit: heartbeat: RATE_LIMIT "lots"`)
	_, _, err = build("--leader-pod-selector=a in (")
	require.ErrorContains(t, err, "--leader-pod-selector")
	_, _, err = build("--leader-renew-deadline=20s")
	require.ErrorContains(t, err, "must be longer than renew deadline")

	cp, logs, err = build("--leader-elect=false", "--gossip=false")
	require.NoError(t, err)
	assert.Equal(t, []string{"informers"}, componentNames(cp))
	assert.Contains(t, logs.String(), "leader election is off")
	assert.Contains(t, logs.String(), "cluster view is off: it needs the control plane's gossip member (--gossip)")
}

func TestControlPlaneOffWithoutClientConfig(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	o, err := parseOptions(nil, io.Discard)
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	cp, err := newControlPlane(o, slog.New(slog.NewTextHandler(logs, nil)), prometheus.NewRegistry())
	require.NoError(t, err)
	assert.Empty(t, cp.components())
	assert.Contains(t, logs.String(), "control plane is off")

	o.kubeconfig = filepath.Join(t.TempDir(), "absent")
	_, err = newControlPlane(o, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.Error(t, err, "an explicit --kubeconfig that cannot be loaded is an error")
}

func componentNames(cp *controlPlane) []string {
	var names []string
	for _, c := range cp.components() {
		names = append(names, c.name)
	}
	return names
}

// offlineKubeconfig writes a kubeconfig for a server that is never contacted.
func offlineKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600))
	return path
}
