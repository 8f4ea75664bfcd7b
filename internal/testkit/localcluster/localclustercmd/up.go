package localclustercmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/meshprobe/meshprobe/internal/logging"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/demo"
)

// options are the flags of up and demo.
type options struct {
	cfg       localcluster.Config
	manifests string
	readyFile string
	keep      bool
	log       logging.Config
}

func parseFlags(name string, args []string) (*options, error) {
	o := &options{}
	self, _ := os.Executable()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&o.cfg.Dir, "dir", "", "state directory (certificates, logs, pod files); default a new temp dir, removed at exit")
	fs.StringVar(&o.cfg.K8sBinDir, "k8s-bin-dir", os.Getenv("KUBEBUILDER_ASSETS"), "directory with etcd and kube-* binaries (hack/k8s-binaries.sh prints it) ($KUBEBUILDER_ASSETS)")
	fs.StringVar(&o.cfg.BinDir, "bin-dir", filepath.Dir(self), "directory with meshprobe's binaries; images map to binaries here")
	fs.IntVar(&o.cfg.Nodes, "nodes", 2, "number of Nodes")
	fs.StringVar(&o.cfg.NodeKind, "node-kind", localcluster.NodesAuto, "nodes: real (kubelet, containerd, kube-proxy; root), process (a stand-in node agent; rootless) or auto (real as root)")
	fs.StringVar(&o.cfg.ImageDir, "image-dir", "", "image archives (*.tar) that real nodes import; default <bin-dir>/images (make images)")
	fs.StringVar(&o.cfg.Network, "network", localcluster.NetworkAuto, "pod network of process nodes: auto, netns (root) or loopback")
	fs.StringVar(&o.cfg.ClusterCIDR, "cluster-cidr", "10.244.0.0/16", "pod address range")
	fs.StringVar(&o.manifests, "manifests", "manifests", "meshprobe's kustomize directory to install (skipped when it has no kustomization.yaml)")
	fs.StringVar(&o.readyFile, "ready-file", "", "write a JSON description of the running cluster here once it is ready")
	fs.BoolVar(&o.keep, "keep", false, "keep the state directory at exit")
	o.log.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.cfg.K8sBinDir == "" {
		return nil, errors.New("no Kubernetes binaries: pass --k8s-bin-dir or set KUBEBUILDER_ASSETS=$(hack/k8s-binaries.sh)")
	}
	return o, nil
}

// Ready is what --ready-file holds.
type Ready struct {
	Kubeconfig string   `json:"kubeconfig"`
	NodeKind   string   `json:"nodeKind"`
	Network    string   `json:"network"`
	DNS        string   `json:"dns"`
	Nodes      []string `json:"nodes"`
	Dir        string   `json:"dir"`
	Meshprobe  bool     `json:"meshprobe"`
	PID        int      `json:"pid"`
}

func up(args []string, withDemo bool) int {
	o, err := parseFlags(map[bool]string{false: "up", true: "demo"}[withDemo], args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "meshprobe-localcluster: %v\n", err)
		return 2
	}
	log, err := logging.New(o.log, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if os.Geteuid() != 0 && !localcluster.InRootless() && o.cfg.Network != localcluster.NetworkLoopback {
		return rootlessParent(args0(withDemo, args), o, log)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runCluster(ctx, o, withDemo, log); err != nil {
		log.Error("meshprobe-localcluster failed", "err", err)
		return 1
	}
	return 0
}

func runCluster(ctx context.Context, o *options, withDemo bool, log *slog.Logger) error {
	if o.cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "meshprobe-localcluster-")
		if err != nil {
			return err
		}
		o.cfg.Dir = dir
		if !o.keep {
			defer os.RemoveAll(dir)
		}
	}
	// Pods run as non-root users: they must be able to walk to their volume files.
	_ = os.Chmod(o.cfg.Dir, 0o755)
	if localcluster.InRootless() {
		if err := localcluster.PrepareRootless(o.cfg.Dir); err != nil {
			return err
		}
		o.cfg.Network = localcluster.NetworkNetns
	}
	o.cfg.Logger = log
	start := time.Now()
	c, err := localcluster.Start(ctx, o.cfg)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted while starting; what was started is stopped again (%w)", err)
		}
		return err
	}
	defer func() {
		log.Info("tearing down: stopping pods, node agents, control plane")
		c.Close()
		log.Info("torn down")
	}()
	log.Info("cluster ready", "took", time.Since(start).Round(time.Millisecond), "nodeKind", c.NodeKind, "network", c.Network, "nodes", c.NodeNames)
	kubeconfig := c.KubeconfigPath
	if hostAPI := os.Getenv(envHostAPIServer); localcluster.InRootless() && hostAPI != "" {
		sock, err := serveAPIServerSocket(o.cfg.Dir, strings.TrimPrefix(c.Config.Host, "https://"))
		if err != nil {
			return err
		}
		defer sock.Close()
		if kubeconfig, err = c.WriteHostKubeconfig(filepath.Join(o.cfg.Dir, "kubeconfig"), hostAPI); err != nil {
			return err
		}
	}
	var token string
	if withDemo {
		if token, err = demo.PrepareControlPlane(ctx, c); err != nil {
			return err
		}
	}
	installed, err := c.InstallMeshprobe(ctx, o.manifests)
	if err != nil {
		return err
	}
	if !installed {
		log.Warn("meshprobe not installed: no kustomization.yaml", "manifests", o.manifests)
	} else {
		log.Info("meshprobe installed and available", "took", time.Since(start).Round(time.Millisecond))
	}
	var guide string
	if withDemo {
		if !installed {
			return fmt.Errorf("demo: meshprobe's manifests were not found at %s (run from the repository root)", o.manifests)
		}
		if guide, err = demo.Deploy(ctx, c, token, log); err != nil {
			return err
		}
	}
	if err := writeReady(o, c, kubeconfig, installed); err != nil {
		return err
	}
	printSummary(os.Stdout, c, kubeconfig, guide)
	<-ctx.Done()
	return nil
}

func writeReady(o *options, c *localcluster.Cluster, kubeconfig string, installed bool) error {
	if o.readyFile == "" {
		return nil
	}
	data, err := json.MarshalIndent(Ready{
		Kubeconfig: kubeconfig, NodeKind: c.NodeKind, Network: c.Network, DNS: c.DNSAddr, Nodes: c.NodeNames,
		Dir: o.cfg.Dir, Meshprobe: installed, PID: os.Getpid(),
	}, "", "  ")
	if err != nil {
		return err
	}
	tmp := o.readyFile + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, o.readyFile)
}

func printSummary(w io.Writer, c *localcluster.Cluster, kubeconfig, guide string) {
	mode := c.NodeKind + " nodes, " + c.Network + " networking"
	if localcluster.InRootless() {
		mode += ", rootless: pod IPs live in the cluster's own network namespace; reach pods through the apiserver proxy"
	}
	fmt.Fprintf(w, "\nmeshprobe local cluster is up (%s; nodes %v).\n\n", mode, c.NodeNames)
	fmt.Fprintf(w, "  export KUBECONFIG=%s\n  kubectl get pods -A -o wide\n\n", kubeconfig)
	if guide != "" {
		fmt.Fprintln(w, guide)
	}
	fmt.Fprintln(w, "Press Ctrl-C to tear it all down.")
}

// args0 rebuilds the command line for the re-executed child.
func args0(withDemo bool, args []string) []string {
	cmd := "up"
	if withDemo {
		cmd = "demo"
	}
	return append([]string{cmd}, args...)
}
