package localcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/clusterdns"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/kubelet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podnet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/realnode"
)

// Node kinds.
const (
	NodesAuto    = "auto"    // real as root, else process
	NodesReal    = "real"    // the official kubelet, containerd and kube-proxy (root)
	NodesProcess = "process" // the process-based stand-in (package kubelet), for rootless runs
)

// Network modes of process nodes.
const (
	NetworkAuto     = "auto"     // netns when root and iproute2 is there, else loopback
	NetworkNetns    = "netns"    // a network namespace per pod (root)
	NetworkLoopback = "loopback" // 127.x.y.z per pod, no isolation (no root needed)
)

// Config describes the cluster to start.
type Config struct {
	// K8sBinDir holds etcd and the kube-* binaries ($KUBEBUILDER_ASSETS); for real
	// nodes also kubelet and kube-proxy (hack/k8s-binaries.sh --node).
	K8sBinDir string
	// BinDir holds meshprobe's binaries; BinDir/meshprobe-localcluster is the
	// node-exec helper of real nodes, and the pod-exec helper and test app of
	// process nodes, whose container images map to binaries here.
	BinDir string
	// Helper overrides the path of the meshprobe-localcluster helper (tests use themselves).
	Helper string
	// Dir is the state directory (certificates, logs, node files). Required.
	Dir string
	// Nodes is the number of Nodes (default 2), named localnode-1, localnode-2, ...
	Nodes int
	// NodeKind is NodesAuto (default), NodesReal or NodesProcess.
	NodeKind string
	// ImageDir holds the image archives (*.tar, from `make images`) that real nodes
	// import (default BinDir/images).
	ImageDir string
	// Network is NetworkAuto (default), NetworkNetns or NetworkLoopback, for process
	// nodes; real nodes always run in network namespaces.
	Network string
	// ClusterCIDR is the cluster's range (default 10.244.0.0/16). Process nodes give
	// all of it to pods; real nodes split it (see realLayout).
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
	// NodeKind is NodesReal or NodesProcess.
	NodeKind string
	// Network is the pod network: "cni" on real nodes, else the process nodes' mode.
	Network string
	// NodeNames are the registered Nodes.
	NodeNames []string
	// DNSAddr is the cluster DNS server's address (host:port).
	DNSAddr string

	cfg    Config
	net    podnet.Network
	cancel context.CancelFunc
	// process nodes
	dns      *clusterdns.Server
	kubelets []*kubelet.Kubelet
	// real nodes
	id    string
	nodes []*realnode.Node
}

// Start brings the cluster up. On error, whatever was started is stopped again.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c := &Cluster{cfg: cfg, cancel: cancel, NodeKind: cfg.NodeKind}
	start := c.startProcessNodes
	if cfg.NodeKind == NodesReal {
		start = c.startRealNodes
	}
	if err := start(ctx, runCtx); err != nil {
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
	if cfg.ImageDir == "" {
		cfg.ImageDir = filepath.Join(cfg.BinDir, "images")
	}
	if err := cfg.nodeKind(); err != nil {
		return err
	}
	if err := cfg.network(); err != nil {
		return err
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

func (cfg *Config) nodeKind() error {
	switch cfg.NodeKind {
	case "", NodesAuto:
		cfg.NodeKind = NodesProcess
		if os.Geteuid() == 0 && !InRootless() {
			cfg.NodeKind = NodesReal
		}
	case NodesReal, NodesProcess:
	default:
		return fmt.Errorf("localcluster: node kind %q: want auto, real or process", cfg.NodeKind)
	}
	if cfg.NodeKind == NodesReal {
		if err := realnode.CheckHost(); err != nil {
			return fmt.Errorf("localcluster: real nodes: %w (or run process nodes: --node-kind process)", err)
		}
	}
	return nil
}

func (cfg *Config) network() error {
	if cfg.NodeKind == NodesReal {
		if cfg.Network != "" && cfg.Network != NetworkAuto && cfg.Network != NetworkNetns {
			return fmt.Errorf("localcluster: network %q: real nodes always use network namespaces", cfg.Network)
		}
		cfg.Network = NetworkNetns
		return nil
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
	return nil
}

// Close stops every pod, the nodes, the control plane and the network, in that order.
func (c *Cluster) Close() {
	c.stopNodes()
	c.cancel()
	if c.ControlPlane != nil {
		c.ControlPlane.Stop()
	}
	if c.net != nil {
		if err := c.net.Close(); err != nil {
			c.cfg.Logger.Warn("removing the network", "err", err)
		}
	}
	if c.id != "" {
		if err := realnode.Release(c.id, c.cfg.Dir); err != nil {
			c.cfg.Logger.Warn("cleaning up the real nodes", "err", err)
		}
	}
}

func (c *Cluster) stopNodes() {
	for _, k := range c.kubelets {
		k.Close()
	}
	if c.dns != nil {
		c.dns.Close()
	}
	c.stopRealNodes()
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

func trimScheme(u string) string {
	for _, p := range []string{"https://", "http://"} {
		if len(u) > len(p) && u[:len(p)] == p {
			return u[len(p):]
		}
	}
	return u
}
