package testenv

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// EnvAssets is the environment variable naming the directory with etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler.
const EnvAssets = "KUBEBUILDER_ASSETS"

// Env is a running control plane for one test.
type Env struct {
	// Config is an admin (system:masters) client config.
	Config *rest.Config
	// Client is an admin clientset built from Config.
	Client kubernetes.Interface
	// KubeconfigPath is an admin kubeconfig file, for processes started by the test.
	KubeconfigPath string
	// ControlPlane gives access to the processes, CA and log files.
	ControlPlane *controlplane.ControlPlane
}

// Option changes what Start starts.
type Option func(*controlplane.Config)

// WithControllerManager also starts kube-controller-manager (Deployments roll out,
// EndpointSlices follow pods, Nodes get a podCIDR, namespaces get deleted).
func WithControllerManager() Option {
	return func(c *controlplane.Config) { c.ControllerManager = true }
}

// WithScheduler also starts kube-scheduler (pods get bound to registered Nodes).
func WithScheduler() Option {
	return func(c *controlplane.Config) { c.Scheduler = true }
}

// WithAPIServerArgs appends flags to kube-apiserver's command line.
func WithAPIServerArgs(args ...string) Option {
	return func(c *controlplane.Config) { c.ExtraAPIServerArgs = append(c.ExtraAPIServerArgs, args...) }
}

// Start starts a control plane for t and registers its teardown with t.Cleanup.
// It skips t when $KUBEBUILDER_ASSETS is unset (fails under CI=true).
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	assets := Assets(t)
	dir, err := os.MkdirTemp("", "meshprobe-testenv-")
	if err != nil {
		t.Fatalf("testenv: creating temp dir: %v", err)
	}
	cfg := controlplane.Config{BinDir: assets, Dir: dir, Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	cp, err := controlplane.Start(ctx, cfg)
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatalf("testenv: %v", err)
	}
	t.Logf("testenv: control plane ready in %s at %s", time.Since(start).Round(time.Millisecond), cp.Config.Host)
	t.Cleanup(func() { teardown(t, cp, dir) })
	client, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatalf("testenv: building client: %v", err)
	}
	return &Env{Config: rest.CopyConfig(cp.Config), Client: client, KubeconfigPath: cp.KubeconfigPath, ControlPlane: cp}
}

func teardown(t testing.TB, cp *controlplane.ControlPlane, dir string) {
	if t.Failed() {
		for _, p := range cp.Processes() {
			t.Logf("testenv: last lines of %s:\n%s", filepath.Base(p.LogPath), p.Tail(15))
		}
	}
	cp.Stop()
	_ = os.RemoveAll(dir)
}

// Assets returns $KUBEBUILDER_ASSETS, skipping t when it is unset (failing under CI=true).
func Assets(t testing.TB) string {
	t.Helper()
	assets := os.Getenv(EnvAssets)
	if assets != "" {
		return assets
	}
	const msg = "testenv: KUBEBUILDER_ASSETS is unset, so there is no kube-apiserver/etcd to test against; " +
		"run `export KUBEBUILDER_ASSETS=$(hack/k8s-binaries.sh)` (or `make test`)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// ConfigFor returns a client config that impersonates user in groups
// ("system:authenticated" is added by the apiserver), for RBAC assertions.
func (e *Env) ConfigFor(t testing.TB, user string, groups ...string) *rest.Config {
	t.Helper()
	if user == "" {
		t.Fatal("testenv: ConfigFor needs a user name")
	}
	cfg := rest.CopyConfig(e.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return cfg
}

// ClientFor is ConfigFor plus a clientset.
func (e *Env) ClientFor(t testing.TB, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(e.ConfigFor(t, user, groups...))
	if err != nil {
		t.Fatalf("testenv: building client for %s: %v", user, err)
	}
	return c
}
