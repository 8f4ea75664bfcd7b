package realnode

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// StartKubeProxy starts kube-proxy in iptables mode (its rules live in the node's
// network namespace) and waits until it has synced its rules once.
func (n *Node) StartKubeProxy(ctx context.Context) error {
	start := time.Now()
	p := n.paths
	err := writeTemplate(p.proxyConfig, "kube-proxy.yaml", map[string]string{
		"Node": n.cfg.Name, "IP": n.cfg.IP.String(), "Kubeconfig": p.proxyKubeconfig, "ClusterCIDR": n.cfg.ClusterCIDR,
	})
	if err != nil {
		return err
	}
	proc, err := n.startProcess(BinKubeProxy, filepath.Join(n.cfg.K8sBinDir, BinKubeProxy),
		"--config="+p.proxyConfig, "--v=1")
	if err != nil {
		return err
	}
	// /healthz answers 200 once the rules are synced.
	err = controlplane.WaitReady(ctx, proc, 60*time.Second, func(ctx context.Context) error {
		return n.healthz(ctx, fmt.Sprintf("http://%s:10256/healthz", n.cfg.IP))
	})
	if err != nil {
		return err
	}
	n.cfg.Logger.Info("kube-proxy ready", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// healthz GETs a component's plain-HTTP health endpoint on the node's IP.
func (n *Node) healthz(ctx context.Context, url string) error {
	return controlplane.GetOK(ctx, n.http, url)
}
