package controlplane

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

const certValidity = 30 * 24 * time.Hour

// pkiFiles are the paths of the generated credentials.
type pkiFiles struct {
	caCert, caKey         string
	servingCert, servingK string
	adminCert, adminKey   string
	kubeletCert, kubeletK string
	saKey, saPub          string
	admin                 *KeyPair
}

// apiServerSANs are the names kube-apiserver's serving certificate is valid for.
var apiServerSANs = []string{
	"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local",
}

func (cp *ControlPlane) writePKI() error {
	dir := filepath.Join(cp.Dir, "pki")
	ca, err := NewCA("meshprobe-localcluster-ca", certValidity)
	if err != nil {
		return err
	}
	cp.CA = ca
	f := &pkiFiles{caCert: filepath.Join(dir, "ca.crt"), caKey: filepath.Join(dir, "ca.key")}
	if err := writeFiles(map[string][]byte{f.caCert: ca.CertPEM, f.caKey: ca.KeyPEM}); err != nil {
		return err
	}
	if err := cp.writeServing(ca, dir, f); err != nil {
		return err
	}
	f.admin, err = ca.IssueClient("meshprobe-admin", []string{"system:masters"}, certValidity)
	if err != nil {
		return err
	}
	if f.adminCert, f.adminKey, err = f.admin.Write(dir, "admin"); err != nil {
		return err
	}
	kubeletClient, err := ca.IssueClient("kube-apiserver-kubelet-client", []string{"system:masters"}, certValidity)
	if err != nil {
		return err
	}
	if f.kubeletCert, f.kubeletK, err = kubeletClient.Write(dir, "apiserver-kubelet-client"); err != nil {
		return err
	}
	priv, pub, err := NewSigningKey()
	if err != nil {
		return err
	}
	f.saKey, f.saPub = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := writeFiles(map[string][]byte{f.saKey: priv, f.saPub: pub}); err != nil {
		return err
	}
	cp.ServiceAccountKeyPath = f.saKey
	cp.pki = f
	return nil
}

func (cp *ControlPlane) writeServing(ca *CA, dir string, f *pkiFiles) error {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), cp.cfg.BindAddress}
	if svcIP, err := firstServiceIP(cp.cfg.ServiceCIDR); err == nil {
		ips = append(ips, svcIP)
	} else {
		return err
	}
	ips = append(ips, cp.cfg.ExtraSANs...)
	serving, err := ca.IssueServing("kube-apiserver", apiServerSANs, ips, certValidity)
	if err != nil {
		return err
	}
	f.servingCert, f.servingK, err = serving.Write(dir, "apiserver")
	return err
}

// firstServiceIP is the ClusterIP of the "kubernetes" Service: the range's first host.
func firstServiceIP(cidr string) (net.IP, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, fmt.Errorf("parsing service CIDR %q: %w", cidr, err)
	}
	ip := n.IP.To4()
	if ip == nil {
		return nil, fmt.Errorf("service CIDR %q: only IPv4 is supported", cidr)
	}
	out := make(net.IP, 4)
	copy(out, ip)
	out[3]++
	return out, nil
}

func writeFiles(files map[string][]byte) error {
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
