package localcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/clusterdns"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/kubelet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podnet"
)

// Network modes.
const (
	NetworkAuto     = "auto"     // netns when root and iproute2 is there, else loopback
	NetworkNetns    = "netns"    // a network namespace per pod (root)
	NetworkLoopback = "loopback" // 127.x.y.z per pod, no isolation (no root needed)
)

// Config describes the cluster to start.
type Config struct {
	// K8sBinDir holds etcd and the kube-* binaries ($KUBEBUILDER_ASSETS).
	K8sBinDir string
	// BinDir holds meshprobe's binaries; container images map to binaries here, and
	// BinDir/meshprobe-localcluster is the pod-exec helper and the test app.
	BinDir string
	// Helper overrides the path of the pod-exec/testapp helper (tests use themselves).
	Helper string
	// Dir is the state directory (certificates, logs, pod files). Required.
	Dir string
	// Nodes is the number of Nodes (default 2), named localnode-1, localnode-2, ...
	Nodes int
	// Network is NetworkAuto (default), NetworkNetns or NetworkLoopback.
	Network string
	// ClusterCIDR is the pod range (default 10.244.0.0/16).
	ClusterCIDR string
	// Logger receives progress and agent logs.
	Logger *slog.Logger
}

// Cluster is a running local cluster.
type Cluster struct {
	// ControlPlane is the running control plane.
	ControlPlane *controlplane.ControlPlane
	// Config is an admin client config; KubeconfigPath the same as a file.
	Config         *rest.Config
	KubeconfigPath string
	// Client is an admin clientset.
	Client kubernetes.Interface
	// Network is the pod network mode in use.
	Network string
	// NodeNames are the registered Nodes.
	NodeNames []string
	// DNS is the cluster DNS server, listening on DNSAddr (UDP and TCP).
	DNS     *clusterdns.Server
	DNSAddr string

	cfg      Config
	net      podnet.Network
	kubelets []*kubelet.Kubelet
	cancel   context.CancelFunc
}

// Start brings the cluster up. On error, whatever was started is stopped again.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c := &Cluster{cfg: cfg, cancel: cancel}
	if err := c.start(ctx, runCtx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (cfg *Config) defaults() error {
	if cfg.Dir == "" {
		return errors.New("localcluster: no state directory")
	}
	if cfg.Nodes <= 0 {
		cfg.Nodes = 2
	}
	if cfg.ClusterCIDR == "" {
		cfg.ClusterCIDR = "10.244.0.0/16"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Helper == "" {
		cfg.Helper = filepath.Join(cfg.BinDir, "meshprobe-localcluster")
	}
	if cfg.Network == "" || cfg.Network == NetworkAuto {
		cfg.Network = NetworkLoopback
		if _, err := exec.LookPath("ip"); err == nil && os.Geteuid() == 0 {
			cfg.Network = NetworkNetns
		}
	}
	if cfg.Network != NetworkNetns && cfg.Network != NetworkLoopback {
		return fmt.Errorf("localcluster: network %q: want auto, netns or loopback", cfg.Network)
	}
	if cfg.Network == NetworkNetns {
		cidr, err := freeClusterCIDR(cfg.ClusterCIDR)
		if err != nil {
			return err
		}
		if cidr != cfg.ClusterCIDR {
			cfg.Logger.Info("cluster CIDR in use on this machine; using another", "wanted", cfg.ClusterCIDR, "using", cidr)
			cfg.ClusterCIDR = cidr
		}
	}
	return os.MkdirAll(cfg.Dir, 0o755)
}

func (c *Cluster) start(ctx, runCtx context.Context) error {
	log := c.cfg.Logger
	if err := c.startNetwork(); err != nil {
		return err
	}
	gw := net.ParseIP(c.net.Gateway())
	log.Info("starting control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)", "network", c.Network)
	cp, err := controlplane.Start(ctx, controlplane.Config{
		BinDir: c.cfg.K8sBinDir, Dir: filepath.Join(c.cfg.Dir, "controlplane"),
		BindAddress: gw, ControllerManager: true, Scheduler: true,
		ClusterCIDR: c.cfg.ClusterCIDR, Logger: log,
	})
	if err != nil {
		return err
	}
	c.ControlPlane, c.Config, c.KubeconfigPath = cp, cp.Config, cp.KubeconfigPath
	if c.Client, err = kubernetes.NewForConfig(cp.Config); err != nil {
		return err
	}
	if err := c.startDNS(runCtx); err != nil {
		return err
	}
	return c.startNodes(ctx, runCtx)
}

func (c *Cluster) startNetwork() error {
	c.Network = c.cfg.Network
	if c.Network == NetworkLoopback {
		c.net = podnet.Loopback{}
		return nil
	}
	id := make([]byte, 3)
	_, _ = rand.Read(id)
	b, err := podnet.NewBridge(hex.EncodeToString(id), c.cfg.ClusterCIDR)
	if err != nil {
		return fmt.Errorf("localcluster: %w", err)
	}
	c.net = b
	return nil
}

func (c *Cluster) startDNS(ctx context.Context) error {
	addr := net.JoinHostPort(c.net.Gateway(), "53")
	if c.Network == NetworkLoopback {
		port, err := freeport.Pick("127.0.0.1", true)
		if err != nil {
			return err
		}
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	dns, err := clusterdns.Start(ctx, clusterdns.Config{
		Addr: addr, Client: c.Client, APIServerIP: c.net.Gateway(), Logger: c.cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("localcluster: %w", err)
	}
	c.DNS, c.DNSAddr = dns, addr
	return nil
}

func (c *Cluster) startNodes(ctx, runCtx context.Context) error {
	host, port, err := net.SplitHostPort(trimScheme(c.Config.Host))
	if err != nil {
		return err
	}
	for i := 1; i <= c.cfg.Nodes; i++ {
		name := fmt.Sprintf("localnode-%d", i)
		c.cfg.Logger.Info("registering node", "node", name)
		k, err := kubelet.Start(runCtx, kubelet.Config{
			NodeName: name, Client: c.Client, Network: c.net,
			Images:     kubelet.Images{BinDir: c.cfg.BinDir, Helper: c.cfg.Helper},
			Dir:        filepath.Join(c.cfg.Dir, "nodes", name),
			Nameserver: c.net.Gateway(), APIServerHost: host, APIServerPort: port,
			CA: c.ControlPlane.CA, Resolve: c.DNS.Lookup,
			// A user namespace maps only the caller's uid: runAsUser cannot be honoured.
			IgnoreRunAsUser: InRootless(),
			Logger:          c.cfg.Logger.With("component", "kubelet"),
		})
		if err != nil {
			return fmt.Errorf("localcluster: %w", err)
		}
		c.kubelets = append(c.kubelets, k)
		c.NodeNames = append(c.NodeNames, name)
	}
	_ = ctx
	return nil
}

// Close stops every pod process, the node agents, DNS, the control plane and the
// pod network, in that order.
func (c *Cluster) Close() {
	for _, k := range c.kubelets {
		k.Close()
	}
	if c.DNS != nil {
		c.DNS.Close()
	}
	c.cancel()
	if c.ControlPlane != nil {
		c.ControlPlane.Stop()
	}
	if c.net != nil {
		if err := c.net.Close(); err != nil {
			c.cfg.Logger.Warn("removing pod network", "err", err)
		}
	}
}

// LogPath returns the log file of a container of a running pod, if it runs here.
func (c *Cluster) LogPath(namespace, pod, container string) (string, bool) {
	for _, k := range c.kubelets {
		if p, ok := k.LogPath(namespace, pod, container); ok {
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	return "", false
}

func trimScheme(u string) string {
	for _, p := range []string{"https://", "http://"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return u[len(p):]
		}
	}
	return u
}

// WriteHostKubeconfig writes an admin kubeconfig whose server is hostAddr (a relay to
// the apiserver, e.g. "127.0.0.1:41234"; the serving certificate covers 127.0.0.1)
// and returns its path.
func (c *Cluster) WriteHostKubeconfig(path, hostAddr string) (string, error) {
	cfg := rest.CopyConfig(c.Config)
	cfg.Host = "https://" + hostAddr
	if err := controlplane.WriteKubeconfig(path, cfg, "meshprobe-local"); err != nil {
		return "", fmt.Errorf("localcluster: %w", err)
	}
	return path, nil
}

// PodsReachableFromHost reports whether the host's processes can connect to pod IPs
// (false in the rootless mode, where the pod network is in a namespace of its own).
func (c *Cluster) PodsReachableFromHost() bool { return !InRootless() }
