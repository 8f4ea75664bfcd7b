package thousandeyes

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigEnvAndFlags(t *testing.T) {
	o := DefaultConfig()
	env := map[string]string{"TE_API_URL": "http://fake/v7", "TE_API_TOKEN_FILE": "/tok", "TE_AID": "42"}
	o.LoadEnv(func(k string) string { return env[k] })
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	o.RegisterFlags(fs)
	require.NoError(t, fs.Parse([]string{"--thousandeyes-aid=7", "--thousandeyes-prune", "--thousandeyes-selector=team=a",
		"--thousandeyes-namespaces=shop, blog,", "--thousandeyes-cluster-name=prod-eu", "--thousandeyes-install-id=prod-eu/mp"}))
	assert.Equal(t, []string{"shop", "blog"}, o.Namespaces)
	assert.Equal(t, "prod-eu", o.ClusterName)
	assert.Equal(t, "prod-eu/mp", o.InstallID)
	assert.Equal(t, "meshprobe-system", o.HomeNamespace, "meshprobe's namespace is always opted in")
	assert.Equal(t, "http://fake/v7", o.APIURL)
	assert.Equal(t, "/tok", o.TokenFile)
	assert.Equal(t, "7", o.AID, "flags win over env")
	assert.True(t, o.Prune)
	assert.Equal(t, "team=a", o.Selector)
}

func TestNewValidation(t *testing.T) {
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	_, err := New(DefaultConfig(), nil, log, reg)
	require.ErrorIs(t, err, ErrNotConfigured)

	for name, mod := range map[string]func(*Config){
		"selector": func(o *Config) { o.Selector = "a in (" },
		"share":    func(o *Config) { o.BudgetShare = 1.5 },
		"resync":   func(o *Config) { o.Resync = 0 },
		"install":  func(o *Config) { o.InstallID = "two words" },
		"cluster":  func(o *Config) { o.ClusterName = "a]b" },
		"home":     func(o *Config) { o.HomeNamespace = "" },
	} {
		t.Run(name, func(t *testing.T) {
			o := DefaultConfig()
			o.Token = "x"
			mod(&o)
			_, err := New(o, nil, log, reg)
			require.ErrorContains(t, err, "thousandeyes:")
		})
	}

	o := DefaultConfig()
	o.Token = "x"
	a, err := New(o, nil, log, reg)
	require.NoError(t, err)
	b, err := New(o, nil, log, reg)
	require.NoError(t, err, "a second controller reuses the registered metrics")
	a.metrics.ops.WithLabelValues("list", "success").Inc()
	assert.Equal(t, float64(1), testutil.ToFloat64(b.metrics.ops.WithLabelValues("list", "success")))
	assert.Equal(t, 2+4*3, testutil.CollectAndCount(a.metrics.ops), "label sets are pre-initialised")
	assert.Equal(t, 1, testutil.CollectAndCount(a.metrics.ignored))
	assert.Equal(t, 3, testutil.CollectAndCount(a.metrics.conflicts))
	require.ErrorContains(t, a.Healthy(), "not running")
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	o := DefaultConfig()
	o.TokenFile = filepath.Join(dir, "token")
	_, err := o.token()
	require.ErrorContains(t, err, "reading token file")
	require.NoError(t, os.WriteFile(o.TokenFile, []byte("  s3cret\n"), 0o600))
	tok, err := o.token()
	require.NoError(t, err)
	assert.Equal(t, "s3cret", tok)
	require.NoError(t, os.WriteFile(o.TokenFile, []byte("\n"), 0o600))
	_, err = o.token()
	require.ErrorContains(t, err, "is empty")
}
