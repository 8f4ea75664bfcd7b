package localcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/clusterdns"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/kubelet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podnet"
)

// startProcessNodes starts the cluster with process nodes (package kubelet): the pod
// network (podnet), the control plane, our DNS server (clusterdns) and a node agent
// per Node.
func (c *Cluster) startProcessNodes(ctx, runCtx context.Context) error {
	log := c.cfg.Logger
	if err := c.startPodNetwork(); err != nil {
		return err
	}
	gw := net.ParseIP(c.net.Gateway())
	log.Info("starting control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)", "network", c.Network)
	if err := c.startControlPlane(ctx, gw, c.cfg.ClusterCIDR); err != nil {
		return err
	}
	if err := c.startDNS(runCtx); err != nil {
		return err
	}
	return c.startAgents(runCtx)
}

func (c *Cluster) startControlPlane(ctx context.Context, bind net.IP, podCIDR string) error {
	cp, err := controlplane.Start(ctx, controlplane.Config{
		BinDir: c.cfg.K8sBinDir, Dir: filepath.Join(c.cfg.Dir, "controlplane"),
		BindAddress: bind, ControllerManager: true, Scheduler: true,
		ClusterCIDR: podCIDR, Logger: c.cfg.Logger,
	})
	if err != nil {
		return err
	}
	c.ControlPlane, c.Config, c.KubeconfigPath = cp, cp.Config, cp.KubeconfigPath
	c.Client, err = kubernetes.NewForConfig(cp.Config)
	return err
}

func (c *Cluster) startPodNetwork() error {
	c.Network = c.cfg.Network
	if c.Network == NetworkLoopback {
		c.net = podnet.Loopback{}
		return nil
	}
	b, err := podnet.NewBridge(randomID(), c.cfg.ClusterCIDR)
	if err != nil {
		return fmt.Errorf("localcluster: %w", err)
	}
	c.net = b
	return nil
}

// randomID is a short random cluster id (6 hex digits) for device, netns and cgroup names.
func randomID() string {
	id := make([]byte, 3)
	_, _ = rand.Read(id)
	return hex.EncodeToString(id)
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
	c.dns, c.DNSAddr = dns, addr
	return nil
}

func (c *Cluster) startAgents(runCtx context.Context) error {
	host, port, err := net.SplitHostPort(trimScheme(c.Config.Host))
	if err != nil {
		return err
	}
	for i := 1; i <= c.cfg.Nodes; i++ {
		name := nodeName(i)
		c.cfg.Logger.Info("registering node", "node", name)
		k, err := kubelet.Start(runCtx, kubelet.Config{
			NodeName: name, Client: c.Client, Network: c.net,
			Images:     kubelet.Images{BinDir: c.cfg.BinDir, Helper: c.cfg.Helper},
			Dir:        filepath.Join(c.cfg.Dir, "nodes", name),
			Nameserver: c.net.Gateway(), APIServerHost: host, APIServerPort: port,
			CA: c.ControlPlane.CA, Resolve: c.dns.Lookup,
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
	return nil
}

func nodeName(i int) string { return fmt.Sprintf("localnode-%d", i) }

// LogPath returns the log file of a container of a running pod, if it runs on a
// process node here.
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
