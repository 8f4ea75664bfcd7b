package controlplane

import (
	"flag"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/integrations/missedinjection"
	"github.com/meshprobe/meshprobe/integrations/webhookcerts"
	"github.com/meshprobe/meshprobe/webhook"
)

func parseTrust(t *testing.T, args ...string) *trustOptions {
	t.Helper()
	var to trustOptions
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to.registerFlags(fs)
	require.NoError(t, fs.Parse(args))
	return &to
}

func TestTrustTasks(t *testing.T) {
	client, err := kubernetes.NewForConfig(&rest.Config{Host: "https://127.0.0.1:1"}) // never called: tasks are only built
	require.NoError(t, err)
	wcfg := webhook.DefaultConfig()
	log := slog.New(slog.DiscardHandler)
	names := func(to *trustOptions) []string {
		tasks, err := trustTasks(to, "meshprobe-system", &wcfg, client, log, prometheus.NewRegistry())
		require.NoError(t, err)
		var out []string
		for _, task := range tasks {
			out = append(out, task.Name)
		}
		return out
	}
	assert.Equal(t, []string{missedinjection.TaskName}, names(parseTrust(t)), "defaults: report missed injections, certificates from cert-manager")
	assert.Equal(t, []string{missedinjection.TaskName, webhookcerts.TaskName},
		names(parseTrust(t, "--webhook-certs=builtin", "--repair-missed=restart", "--webhook-cert-validity=24h")))

	to := parseTrust(t, "--webhook-certs=builtin", "--webhook-ca-validity=48h", "--webhook-cert-validity=24h", "--repair-missed-cooldown=1h")
	assert.Equal(t, 48*time.Hour, to.certs.CAValidity)
	assert.Equal(t, time.Hour, to.missed.RepairCooldown)
	assert.Empty(t, trustComponents(to, "meshprobe-system", t.TempDir(), client, log))
	assert.Len(t, trustComponents(parseTrust(t, "--webhook-cert-sync"), "meshprobe-system", t.TempDir(), client, log), 1)

	for _, bad := range [][]string{{"--webhook-certs=vault"}, {"--repair-missed=delete"}, {"--webhook-certs=builtin", "--webhook-cert-validity=9000h"}} {
		_, err := trustTasks(parseTrust(t, bad...), "meshprobe-system", &wcfg, client, log, prometheus.NewRegistry())
		assert.Error(t, err, "%v", bad)
	}
}

// TestTrustFlagsWired: the webhook's own flag set carries the trust flags, and
// the control plane builds the trust tasks from them.
func TestTrustFlagsWired(t *testing.T) {
	o, err := parseOptions([]string{"--webhook-certs=builtin", "--repair-missed=restart", "--webhook-cert-sync", "--namespace=mp"}, io.Discard)
	require.NoError(t, err)
	client, err := kubernetes.NewForConfig(&rest.Config{Host: "https://127.0.0.1:1"})
	require.NoError(t, err)
	tasks, err := trustLeaderTasks(o, client, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.NoError(t, err)
	require.Len(t, tasks, 2)
	assert.Equal(t, missedinjection.RepairRestart, o.cp.trust.missed.Repair)
	assert.Len(t, trustComponents(&o.cp.trust, o.namespace, o.certDir, client, slog.New(slog.DiscardHandler)), 1)
}
