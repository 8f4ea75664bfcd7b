package controlplane

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

func (cp *ControlPlane) startAPIServer(ctx context.Context) error {
	_, err := cp.startWithRetry(ctx, BinAPIServer, func(int) (*Process, error) {
		port, err := freeport.Pick(cp.cfg.BindAddress.String(), false)
		if err != nil {
			return nil, err
		}
		cp.Config = cp.adminConfig(fmt.Sprintf("https://%s", hostPort(cp.cfg.BindAddress, port)))
		p, err := StartProcess(ProcessSpec{
			Name:    BinAPIServer,
			Path:    filepath.Join(cp.cfg.BinDir, BinAPIServer),
			Args:    append(cp.apiServerArgs(port), cp.cfg.ExtraAPIServerArgs...),
			LogPath: cp.LogPath(BinAPIServer),
		})
		if err != nil {
			return nil, err
		}
		cp.cfg.Logger.Info("waiting for kube-apiserver", "url", cp.Config.Host)
		return p, cp.waitAPIServer(ctx, p)
	})
	if err != nil {
		return err
	}
	return cp.writeKubeconfig()
}

func (cp *ControlPlane) apiServerArgs(port int) []string {
	f := cp.pki
	reconciler := "lease"
	if cp.cfg.BindAddress.IsLoopback() {
		// The "kubernetes" Service may not point at loopback; tests do not need it.
		reconciler = "none"
	}
	return []string{
		"--endpoint-reconciler-type=" + reconciler,
		"--etcd-servers=" + cp.etcdURL,
		"--bind-address=" + cp.cfg.BindAddress.String(),
		"--advertise-address=" + cp.cfg.BindAddress.String(),
		fmt.Sprintf("--secure-port=%d", port),
		"--tls-cert-file=" + f.servingCert, "--tls-private-key-file=" + f.servingK,
		"--client-ca-file=" + f.caCert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f.saPub,
		"--service-account-signing-key-file=" + f.saKey,
		"--service-cluster-ip-range=" + cp.cfg.ServiceCIDR,
		"--authorization-mode=Node,RBAC",
		// The default plugins stay on; MutatingAdmissionWebhook is among them, named to be sure.
		"--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
		// Webhook Services resolve to their endpoints (pod IPs): there is no kube-proxy.
		"--enable-aggregator-routing=true",
		"--allow-privileged=true",
		// Node agents (internal/testkit/localcluster/kubelet) serve logs with CA-signed certificates.
		"--kubelet-client-certificate=" + f.kubeletCert, "--kubelet-client-key=" + f.kubeletK,
		"--kubelet-certificate-authority=" + f.caCert,
		"--kubelet-preferred-address-types=InternalIP",
		"--cert-dir=" + filepath.Join(cp.Dir, "pki"),
		"--v=1",
	}
}

func (cp *ControlPlane) waitAPIServer(ctx context.Context, p *Process) error {
	transport, err := rest.TransportFor(cp.Config)
	if err != nil {
		return fmt.Errorf("building apiserver transport: %w", err)
	}
	client := &http.Client{Transport: transport}
	return WaitReady(ctx, p, cp.cfg.StartTimeout, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cp.Config.Host+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return fmt.Errorf("/readyz: %s: %s", resp.Status, failingChecks(string(body)))
		}
		return nil
	})
}

// failingChecks keeps the "[-]" lines of a verbose /readyz answer.
func failingChecks(body string) string {
	var out []string
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "[-]") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	if len(out) == 0 {
		return strings.TrimSpace(body)
	}
	return strings.Join(out, "; ")
}

func (cp *ControlPlane) adminConfig(host string) *rest.Config {
	return &rest.Config{
		Host: host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   cp.CA.CertPEM,
			CertData: cp.pki.admin.CertPEM,
			KeyData:  cp.pki.admin.KeyPEM,
		},
		QPS:   200,
		Burst: 400,
	}
}
