package realnode

import (
	"fmt"
	"net"
	"os"
	"time"

	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

const certValidity = 30 * 24 * time.Hour

// credentials are the node's certificate files.
type credentials struct {
	servingCert, servingKey string // the kubelet's, for the apiserver (logs, exec)
}

// writeCredentials issues the node's certificates and writes the kubelet's and
// kube-proxy's kubeconfigs: the kubelet is system:node:<name> in system:nodes (the
// Node authorizer's identity), kube-proxy is system:kube-proxy (bound to
// system:node-proxier by default), and the kubelet serves with the node's IP and name.
func (n *Node) writeCredentials(apiServer string, ca *controlplane.CA) (credentials, error) {
	p := n.paths
	serving, err := ca.IssueServing(n.cfg.Name, []string{n.cfg.Name}, []net.IP{n.cfg.IP}, certValidity)
	if err != nil {
		return credentials{}, fmt.Errorf("kubelet serving certificate: %w", err)
	}
	var creds credentials
	if creds.servingCert, creds.servingKey, err = serving.Write(p.pki, "kubelet-serving"); err != nil {
		return credentials{}, err
	}
	if err := os.WriteFile(p.caFile(), ca.CertPEM, 0o644); err != nil {
		return credentials{}, err
	}
	clients := []struct {
		user, path string
		groups     []string
	}{
		{"system:node:" + n.cfg.Name, p.kubeletKubeconfig, []string{"system:nodes"}},
		{"system:kube-proxy", p.proxyKubeconfig, nil},
	}
	for _, c := range clients {
		kp, err := ca.IssueClient(c.user, c.groups, certValidity)
		if err != nil {
			return credentials{}, fmt.Errorf("client certificate of %s: %w", c.user, err)
		}
		cfg := &rest.Config{Host: apiServer, TLSClientConfig: rest.TLSClientConfig{
			CAData: ca.CertPEM, CertData: kp.CertPEM, KeyData: kp.KeyPEM,
		}}
		if err := controlplane.WriteKubeconfig(c.path, cfg, "meshprobe-local"); err != nil {
			return credentials{}, fmt.Errorf("kubeconfig of %s: %w", c.user, err)
		}
	}
	return creds, nil
}
