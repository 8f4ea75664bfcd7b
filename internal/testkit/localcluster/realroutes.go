package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// joinPodNetworks waits for every Node's podCIDR (kube-controller-manager allocates it
// when the kubelet registers), gives it to the node's CNI configuration, routes each
// podCIDR to its node (from the host and from every other node), starts kube-proxy on
// every node and waits until every Node is Ready.
func (c *Cluster) joinPodNetworks(ctx context.Context) error {
	start := time.Now()
	cidrs := make([]string, len(c.nodes))
	ips := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		node, err := c.waitNode(ctx, n.Name(), func(node *corev1.Node) bool { return node.Spec.PodCIDR != "" }, "a podCIDR")
		if err != nil {
			return err
		}
		cidrs[i], ips[i] = node.Spec.PodCIDR, nodeInternalIP(node)
		if err := n.SetPodCIDR(cidrs[i]); err != nil {
			return err
		}
	}
	for i := range c.nodes {
		if err := run(ctx, "ip", "route", "replace", cidrs[i], "via", ips[i]); err != nil {
			return err
		}
		for j, other := range c.nodes {
			if j != i {
				if err := run(ctx, "ip", "-n", other.Netns(), "route", "replace", cidrs[i], "via", ips[i]); err != nil {
					return err
				}
			}
		}
	}
	c.cfg.Logger.Info("pod network configured", "podCIDRs", cidrs, "took", time.Since(start).Round(time.Millisecond))
	if err := c.startKubeProxies(ctx); err != nil {
		return err
	}
	for _, n := range c.nodes {
		if _, err := c.waitNode(ctx, n.Name(), nodeReady, "Ready"); err != nil {
			return err
		}
	}
	c.cfg.Logger.Info("nodes ready", "nodes", c.NodeNames, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (c *Cluster) startKubeProxies(ctx context.Context) error {
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() { errs[i] = n.StartKubeProxy(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func nodeInternalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// waitNode polls the Node until ok, for at most two minutes.
func (c *Cluster) waitNode(ctx context.Context, name string, ok func(*corev1.Node) bool, what string) (*corev1.Node, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		node, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err == nil && ok(node) {
			return node, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("localcluster: node %s has no %s after 2m (last error %v; see its kubelet log under nodes/%s/logs)", name, what, err, name)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// run runs a command, returning its output in the error.
func run(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
