package realnode

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// Node is a running node. Stop it with Stop.
type Node struct {
	cfg     Config
	paths   paths
	cgroups *cgroupMounts
	http    *http.Client // for health endpoints on the node's IP; no proxy

	mu    sync.Mutex
	procs []*controlplane.Process // in start order
}

// Start prepares the node's cgroup and files, starts containerd and imports the
// images: everything that needs no control plane. Join then starts the kubelet. On
// error, whatever was started is stopped again.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cg, err := findCgroupMounts()
	if err != nil {
		return nil, fmt.Errorf("realnode: %w", err)
	}
	n := &Node{cfg: cfg, paths: newPaths(cfg.Dir), cgroups: cg,
		http: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 2 * time.Second}}
	err = n.steps(ctx, step{"containerd", n.startContainerd}, step{"image import", n.importImages})
	if err != nil {
		n.Stop()
		return nil, fmt.Errorf("realnode %s: %w", cfg.Name, err)
	}
	return n, nil
}

// Join issues the node's certificates (signed by ca, the cluster CA) and starts the
// kubelet against apiServer (an https URL reachable from the node's netns); the kubelet
// registers the Node. The node becomes Ready once its pod network is configured
// (SetPodCIDR); kube-proxy starts with StartKubeProxy.
func (n *Node) Join(ctx context.Context, apiServer string, ca *controlplane.CA) error {
	creds, err := n.writeCredentials(apiServer, ca)
	if err != nil {
		return fmt.Errorf("realnode %s: %w", n.cfg.Name, err)
	}
	err = n.steps(ctx, step{"kubelet", func(ctx context.Context) error { return n.startKubelet(ctx, creds) }})
	if err != nil {
		return fmt.Errorf("realnode %s: %w", n.cfg.Name, err)
	}
	return nil
}

// step is one logged, timed step of starting a node.
type step struct {
	name string
	run  func(context.Context) error
}

func (n *Node) steps(ctx context.Context, steps ...step) error {
	for _, s := range steps {
		start := time.Now()
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		n.cfg.Logger.Info(s.name+" ready", "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// daemonCgroup holds containerd, the kubelet, kube-proxy and the shims; the kubelet
// puts pods in kubepods next to it.
func (n *Node) daemonCgroup() string { return n.cfg.Cgroup + "/daemons" }

// startProcess runs a node component through the node-exec helper, logging to
// logs/<name>.log.
func (n *Node) startProcess(name, bin string, args ...string) (*controlplane.Process, error) {
	p, err := controlplane.StartProcess(controlplane.ProcessSpec{
		Name:    name,
		Path:    n.cfg.Helper,
		Args:    execArgs(n.cfg.Netns, filepath.Join(n.cgroups.track, n.daemonCgroup()), bin, args...),
		Env:     append(os.Environ(), "PATH="+searchPath()),
		LogPath: filepath.Join(n.paths.logs, name+".log"),
	})
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.procs = append(n.procs, p)
	n.mu.Unlock()
	return p, nil
}

// searchPath is $PATH with the sbin directories that containerd needs to find runc
// and its shim, whatever the caller's $PATH.
func searchPath() string {
	p := os.Getenv("PATH")
	for _, d := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		p += string(os.PathListSeparator) + d
	}
	return p
}

// Name is the Node's name.
func (n *Node) Name() string { return n.cfg.Name }

// LogPath is the log file of a node component ("containerd", "kubelet", "kube-proxy").
func (n *Node) LogPath(component string) string {
	return filepath.Join(n.paths.logs, component+".log")
}

// Stop stops kube-proxy and the kubelet, then every process left in the node's
// cgroup (containers, shims, containerd), unmounts everything below the node's
// directory and removes its cgroups, its links in /var/log/containers and libcni's
// cache entries of its sandboxes. The network namespace is the caller's.
func (n *Node) Stop() error {
	n.mu.Lock()
	procs := n.procs
	n.procs = nil
	n.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		if procs[i].Name != "containerd" {
			procs[i].Stop(5 * time.Second)
		}
	}
	errs := []error{n.cgroups.kill(n.cfg.Cgroup, 3*time.Second)}
	for _, p := range procs {
		p.Stop(time.Second) // reaped already: the cgroup is empty
	}
	errs = append(errs, unmountUnder(n.cfg.Dir), n.cgroups.remove(n.cfg.Cgroup))
	removeLogLinks(n.paths.podLogs)
	removeCNICache(n.paths.containerdRoot)
	return errors.Join(errs...)
}

// Netns is the name of the node's network namespace.
func (n *Node) Netns() string { return n.cfg.Netns }
