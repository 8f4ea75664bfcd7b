package realnode

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

func (n *Node) startKubelet(ctx context.Context, creds credentials) error {
	p := n.paths
	if err := os.WriteFile(p.resolvConf, nodeResolvConf(), 0o644); err != nil {
		return err
	}
	err := writeTemplate(p.kubeletConfig, "kubelet.yaml", map[string]string{
		"Node": n.cfg.Name, "RuntimeEndpoint": "unix://" + p.socket,
		"CgroupRoot": "/" + n.cfg.Cgroup, "ClientCAFile": p.caFile(),
		"TLSCertFile": creds.servingCert, "TLSKeyFile": creds.servingKey,
		"Address": n.cfg.IP.String(), "ClusterDomain": n.cfg.ClusterDomain,
		"ClusterDNS": n.cfg.ClusterDNS.String(), "ResolvConf": p.resolvConf, "PodLogsDir": p.podLogs,
	})
	if err != nil {
		return err
	}
	proc, err := n.startProcess(BinKubelet, filepath.Join(n.cfg.K8sBinDir, BinKubelet),
		"--config="+p.kubeletConfig,
		"--kubeconfig="+p.kubeletKubeconfig,
		"--root-dir="+p.kubeletRoot,
		"--cert-dir="+filepath.Join(p.kubeletRoot, "pki"),
		"--hostname-override="+n.cfg.Name,
		"--node-ip="+n.cfg.IP.String(),
		"--v=1",
	)
	if err != nil {
		return err
	}
	// A kubelet that refuses its configuration exits here, with its log in the error.
	return controlplane.WaitReady(ctx, proc, 60*time.Second, func(ctx context.Context) error {
		return n.healthz(ctx, fmt.Sprintf("http://%s:10248/healthz", n.cfg.IP))
	})
}

// nodeResolvConf is the node's own resolv.conf: the host's search domains and options
// without its nameservers, which the node's network namespace cannot reach. Pods with
// dnsPolicy ClusterFirst get the cluster DNS on top of it.
func nodeResolvConf() []byte {
	var out bytes.Buffer
	out.WriteString("# the node's resolv.conf (meshprobe-localcluster): no upstream resolver\n")
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return out.Bytes()
	}
	sc := bufio.NewScanner(bytes.NewReader(host))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "search ") || strings.HasPrefix(line, "options ") {
			out.WriteString(line + "\n")
		}
	}
	return out.Bytes()
}
