package controlplane

import (
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
)

// The heartbeat flags reach the heartbeat server's settings: a flag that is
// parsed but not applied is a silent misconfiguration.
func TestHeartbeatFlagsReachTheServer(t *testing.T) {
	o, err := parseOptions([]string{
		"--heartbeat-rate-limit=100-M",
		"--heartbeat-failed-auth-rate-limit=3-H",
		"--heartbeat-trusted-proxies=10.0.0.0/8,192.0.2.7",
	}, io.Discard)
	require.NoError(t, err)
	env := map[string]string{heartbeat.EnvAuthToken: "s3cret"}
	cfg, err := heartbeatConfig(o, func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, heartbeat.Rate{Limit: 100, Period: time.Minute}, cfg.RateLimit)
	assert.Equal(t, heartbeat.Rate{Limit: 3, Period: time.Hour}, cfg.FailedAuthRateLimit)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}, cfg.TrustedProxies)
	assert.Equal(t, "s3cret", cfg.Token)
}

// Without the flags the heartbeat keeps its own defaults.
func TestHeartbeatDefaultsWithoutFlags(t *testing.T) {
	o, err := parseOptions(nil, io.Discard)
	require.NoError(t, err)
	cfg, err := heartbeatConfig(o, func(string) string { return "" })
	require.NoError(t, err)
	d := heartbeat.DefaultConfig()
	assert.Equal(t, d.FailedAuthRateLimit, cfg.FailedAuthRateLimit)
	assert.Empty(t, cfg.TrustedProxies)
}
