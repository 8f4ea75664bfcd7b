package coredns

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net"
	"text/template"

	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

//go:embed coredns.yaml
var manifest string

// Config says which CoreDNS to deploy.
type Config struct {
	// Image is the CoreDNS image, present on every node (no registry is reachable).
	Image string
	// IP is the kube-dns Service's ClusterIP: the kubelets' clusterDNS.
	IP net.IP
	// Domain is the cluster domain (default cluster.local).
	Domain string
	// Replicas is the number of CoreDNS pods (default 2, as kubeadm).
	Replicas int
	// Logger receives progress.
	Logger *slog.Logger
}

// Render returns CoreDNS's manifests for cfg.
func Render(cfg Config) ([]byte, error) {
	if cfg.Domain == "" {
		cfg.Domain = "cluster.local"
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 2
	}
	if cfg.Image == "" || cfg.IP == nil {
		return nil, fmt.Errorf("coredns: image and service IP are required")
	}
	t, err := template.New("coredns").Option("missingkey=error").Parse(manifest)
	if err != nil {
		return nil, fmt.Errorf("coredns: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, cfg); err != nil {
		return nil, fmt.Errorf("coredns: %w", err)
	}
	return b.Bytes(), nil
}

// Deploy server-side-applies CoreDNS's manifests to the cluster behind restCfg. It
// does not wait for the pods.
func Deploy(ctx context.Context, restCfg *rest.Config, cfg Config) error {
	data, err := Render(cfg)
	if err != nil {
		return err
	}
	objs, err := install.Decode(data)
	if err != nil {
		return fmt.Errorf("coredns: %w", err)
	}
	return install.Apply(ctx, restCfg, objs, install.Options{Logger: cfg.Logger})
}
