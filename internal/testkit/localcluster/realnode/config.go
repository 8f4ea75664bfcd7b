package realnode

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// Binaries a node runs besides the Kubernetes ones: found on $PATH.
const (
	BinKubelet   = "kubelet"
	BinKubeProxy = "kube-proxy"
)

// Config describes one node.
type Config struct {
	// Name is the Node name (and the kubelet's hostname override).
	Name string
	// IP is the node's address on the cluster bridge; Netns the name of its network
	// namespace (under /run/netns), which already has that address and its routes.
	IP    net.IP
	Netns string
	// Dir holds everything of the node: configuration, certificates, containerd's
	// root and state, the kubelet's root, pod logs, component logs.
	Dir string
	// Cgroup is the node's cgroup, relative to each hierarchy's root (e.g.
	// "mpc-1a2b3c/localnode-1"): the kubelet's cgroupRoot; the daemons go below it.
	Cgroup string
	// K8sBinDir holds kubelet and kube-proxy (hack/k8s-binaries.sh --node).
	K8sBinDir string
	// Helper is meshprobe-localcluster, which runs ExecMain as ExecSubcommand.
	Helper string
	// ClusterDNS is the cluster DNS Service IP; ClusterDomain the DNS domain
	// (default cluster.local).
	ClusterDNS    net.IP
	ClusterDomain string
	// ClusterCIDR is the pod range (kube-proxy's test for cluster-local traffic).
	ClusterCIDR string
	// SandboxImage is containerd's pod sandbox ("pause") image; it must be among Images.
	SandboxImage string
	// Images are image archives (OCI or docker-save tar files) imported into the
	// node's containerd before the kubelet starts.
	Images []string
	// Logger receives progress, tagged with the node's name.
	Logger *slog.Logger
}

// paths are the files and directories of a node, all below Config.Dir.
type paths struct {
	dir, logs, pki                string
	containerdConfig, socket      string
	containerdRoot, containerdRun string
	runcRoot, opt                 string
	cniConf, ipam                 string
	kubeletRoot, kubeletConfig    string
	kubeletKubeconfig, podLogs    string
	resolvConf                    string
	proxyConfig, proxyKubeconfig  string
}

func newPaths(dir string) paths {
	j := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	return paths{
		dir: dir, logs: j("logs"), pki: j("pki"),
		containerdConfig: j("containerd", "config.toml"), socket: j("containerd.sock"),
		containerdRoot: j("containerd", "root"), containerdRun: j("containerd", "state"),
		runcRoot: j("containerd", "runc"), opt: j("containerd", "opt"),
		cniConf: j("cni", "net.d"), ipam: j("cni", "networks"),
		kubeletRoot: j("kubelet"), kubeletConfig: j("kubelet-config.yaml"),
		kubeletKubeconfig: j("kubelet.kubeconfig"), podLogs: j("pods"),
		resolvConf:  j("resolv.conf"),
		proxyConfig: j("kube-proxy-config.yaml"), proxyKubeconfig: j("kube-proxy.kubeconfig"),
	}
}

func (p paths) caFile() string { return filepath.Join(p.pki, "ca.crt") }

func (p paths) mkdirs() error {
	for _, d := range []string{p.logs, p.pki, p.containerdRoot, p.containerdRun, p.runcRoot, p.opt, p.cniConf, p.ipam, p.kubeletRoot, p.podLogs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) check() error {
	if c.Name == "" || c.IP == nil || c.Netns == "" || c.Dir == "" || c.Cgroup == "" {
		return errors.New("realnode: incomplete config (name, IP, netns, dir and cgroup are required)")
	}
	if c.ClusterDomain == "" {
		c.ClusterDomain = "cluster.local"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	for _, b := range []string{BinKubelet, BinKubeProxy} {
		if _, err := os.Stat(filepath.Join(c.K8sBinDir, b)); err != nil {
			return fmt.Errorf("realnode: %s not found in %s (run hack/k8s-binaries.sh --node): %w", b, c.K8sBinDir, err)
		}
	}
	return nil
}

// CheckHost reports what this machine lacks to run real nodes: root, containerd,
// runc, its shim, ctr, the CNI bridge plugins and iptables (hack/test-deps.sh
// installs them).
func CheckHost() error {
	if os.Geteuid() != 0 {
		return errors.New("real nodes need root")
	}
	var missing []string
	for _, b := range []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr", "iptables-restore", "ip"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if _, err := cniBinDir(); err != nil {
		missing = append(missing, "CNI plugins (bridge, host-local, loopback)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %v (hack/test-deps.sh installs them as root)", missing)
	}
	return nil
}

// cniBinDir finds the CNI plugins: Debian's containernetworking-plugins, or the
// upstream location.
func cniBinDir() (string, error) {
	for _, d := range []string{"/usr/lib/cni", "/opt/cni/bin"} {
		ok := true
		for _, p := range []string{"bridge", "host-local", "loopback"} {
			if _, err := os.Stat(filepath.Join(d, p)); err != nil {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", errors.New("no CNI plugins in /usr/lib/cni or /opt/cni/bin")
}
