package realnode

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// criNamespace is the containerd namespace the CRI plugin keeps its images and
// containers in.
const criNamespace = "k8s.io"

func (n *Node) startContainerd(ctx context.Context) error {
	if err := n.paths.mkdirs(); err != nil {
		return err
	}
	if err := n.cgroups.create(n.daemonCgroup()); err != nil {
		return err
	}
	cniBin, err := cniBinDir()
	if err != nil {
		return err
	}
	p := n.paths
	err = writeTemplate(p.containerdConfig, "containerd.toml", map[string]string{
		"Node": n.cfg.Name, "Root": p.containerdRoot, "State": p.containerdRun, "Socket": p.socket,
		"Opt": p.opt, "SandboxImage": n.cfg.SandboxImage, "RuncRoot": p.runcRoot,
		"CNIBinDir": cniBin, "CNIConfDir": p.cniConf,
	})
	if err != nil {
		return err
	}
	bin, err := exec.LookPath("containerd")
	if err != nil {
		return err
	}
	proc, err := n.startProcess("containerd", bin, "--config", p.containerdConfig)
	if err != nil {
		return err
	}
	return controlplane.WaitReady(ctx, proc, 30*time.Second, func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", p.socket)
		if err != nil {
			return err
		}
		return conn.Close()
	})
}

// importImages imports every image archive into the CRI namespace, unpacked for the
// overlayfs snapshotter, so that pods with imagePullPolicy IfNotPresent or Never
// find them (no registry is reachable).
func (n *Node) importImages(ctx context.Context) error {
	for _, tar := range n.cfg.Images {
		start := time.Now()
		if err := n.ctr(ctx, "images", "import", tar); err != nil {
			return fmt.Errorf("importing %s: %w", tar, err)
		}
		n.cfg.Logger.Debug("image imported", "archive", filepath.Base(tar), "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// ctr runs containerd's own client against this node's containerd.
func (n *Node) ctr(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	full := append([]string{"--address", n.paths.socket, "--namespace", criNamespace}, args...)
	out, err := exec.CommandContext(ctx, "ctr", full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
