package localcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/meshprobe/meshprobe/internal/imagebuild"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/coredns"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podnet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/realnode"
)

// startRealNodes starts the cluster with real nodes: the node network (a bridge with
// the apiserver's address, a network namespace per node), the control plane, every
// node (containerd, kubelet), their pod routes and kube-proxy, then CoreDNS.
func (c *Cluster) startRealNodes(ctx, _ context.Context) error {
	log := c.cfg.Logger
	layout, err := newRealLayout(c.cfg.ClusterCIDR)
	if err != nil {
		return err
	}
	images, err := findImages(c.cfg.ImageDir)
	if err != nil {
		return err
	}
	realnode.Sweep(log)
	c.id, c.Network = randomID(), "cni"
	if err := realnode.Register(c.id, c.cfg.Dir); err != nil {
		return err
	}
	bridge, err := podnet.NewBridge(c.id, layout.nodeNet.String())
	if err != nil {
		return fmt.Errorf("localcluster: node network: %w", err)
	}
	c.net = bridge
	// The nodes' containerd and image imports need no control plane: they run while
	// it starts.
	var wg sync.WaitGroup
	var nodesErr error
	wg.Go(func() { nodesErr = c.startEachNode(ctx, bridge, layout, images) })
	start := time.Now()
	log.Info("starting control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)", "apiserver", bridge.Gateway())
	cpErr := c.startControlPlane(ctx, net.ParseIP(bridge.Gateway()), layout.pods.String())
	if cpErr == nil {
		log.Info("control plane ready", "took", time.Since(start).Round(time.Millisecond))
	}
	wg.Wait()
	if err := errors.Join(cpErr, nodesErr); err != nil {
		return err
	}
	if err := c.joinNodes(ctx); err != nil {
		return err
	}
	if err := c.joinPodNetworks(ctx); err != nil {
		return err
	}
	return c.startClusterDNS(ctx, images.coreDNS)
}

// startEachNode creates every node's network namespace, then starts every node's
// containerd and imports the images, all nodes at once.
func (c *Cluster) startEachNode(ctx context.Context, bridge *podnet.Bridge, layout realLayout, images nodeImages) error {
	cfgs := make([]realnode.Config, c.cfg.Nodes)
	for i := range cfgs {
		name, ip := nodeName(i+1), layout.nodeIP(i+1)
		netns, err := bridge.AddPod("node/"+name, ip.String())
		if err != nil {
			return err
		}
		if err := ipNetns(ctx, netns, "sh", "-c", "echo 1 >/proc/sys/net/ipv4/ip_forward"); err != nil {
			return err
		}
		c.NodeNames = append(c.NodeNames, name)
		cfgs[i] = realnode.Config{
			Name: name, IP: ip, Netns: netns,
			Dir:       filepath.Join(c.cfg.Dir, "nodes", name),
			Cgroup:    realnode.CgroupParent(c.id) + "/" + name,
			K8sBinDir: c.cfg.K8sBinDir, Helper: c.cfg.Helper,
			ClusterDNS: net.ParseIP(clusterDNSIP), ClusterCIDR: layout.pods.String(),
			SandboxImage: imagebuild.PauseImage, Images: images.archives,
			Logger: c.cfg.Logger.With("node", name),
		}
	}
	nodes := make([]*realnode.Node, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Go(func() {
			c.cfg.Logger.Info("starting node", "node", cfg.Name, "ip", cfg.IP, "netns", cfg.Netns)
			nodes[i], errs[i] = realnode.Start(ctx, cfg)
		})
	}
	wg.Wait()
	for _, n := range nodes {
		if n != nil {
			c.nodes = append(c.nodes, n)
		}
	}
	return errors.Join(errs...)
}

// joinNodes starts every node's kubelet against the apiserver, all nodes at once.
func (c *Cluster) joinNodes(ctx context.Context) error {
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() { errs[i] = n.Join(ctx, c.Config.Host, c.ControlPlane.CA) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stopRealNodes stops every node at once.
func (c *Cluster) stopRealNodes() {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if n == nil {
			continue
		}
		wg.Go(func() {
			if err := n.Stop(); err != nil {
				c.cfg.Logger.Warn("stopping node", "node", n.Name(), "err", err)
			}
		})
	}
	wg.Wait()
	c.nodes = nil
}

// startClusterDNS deploys CoreDNS and waits until it is available.
func (c *Cluster) startClusterDNS(ctx context.Context, image string) error {
	start := time.Now()
	err := coredns.Deploy(ctx, c.Config, coredns.Config{
		Image: image, IP: net.ParseIP(clusterDNSIP), Logger: c.cfg.Logger,
	})
	if err != nil {
		return err
	}
	if err := c.WaitDeployments(ctx, "kube-system", 2*time.Minute); err != nil {
		return err
	}
	c.DNSAddr = net.JoinHostPort(clusterDNSIP, "53")
	c.cfg.Logger.Info("CoreDNS available", "service", c.DNSAddr, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// ipNetns runs a command in a network namespace.
func ipNetns(ctx context.Context, netns string, args ...string) error {
	return run(ctx, "ip", append([]string{"netns", "exec", netns}, args...)...)
}
