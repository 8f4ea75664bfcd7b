package controlplane

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

func (cp *ControlPlane) startComponents(ctx context.Context) error {
	if cp.cfg.ControllerManager {
		if err := cp.startComponent(ctx, BinControllerManager, cp.controllerManagerArgs); err != nil {
			return err
		}
	}
	if cp.cfg.Scheduler {
		if err := cp.startComponent(ctx, BinScheduler, cp.schedulerArgs); err != nil {
			return err
		}
	}
	return nil
}

func (cp *ControlPlane) controllerManagerArgs() []string {
	f := cp.pki
	return []string{
		"--service-account-private-key-file=" + f.saKey,
		"--root-ca-file=" + f.caCert,
		"--cluster-signing-cert-file=" + f.caCert,
		"--cluster-signing-key-file=" + f.caKey,
		"--allocate-node-cidrs=true",
		"--cluster-cidr=" + cp.cfg.ClusterCIDR,
		"--node-cidr-mask-size=24",
		"--service-cluster-ip-range=" + cp.cfg.ServiceCIDR,
		"--use-service-account-credentials=false",
		"--controllers=*",
	}
}

func (cp *ControlPlane) schedulerArgs() []string { return nil }

// startComponent starts kube-controller-manager or kube-scheduler with the admin
// kubeconfig, serving its /healthz on a free loopback port, and waits for it.
func (cp *ControlPlane) startComponent(ctx context.Context, name string, args func() []string) error {
	// Self-signed serving certificate of the component: only /healthz is read, by us.
	insecure := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // local health probe only
	}, Timeout: 2 * time.Second}
	_, err := cp.startWithRetry(ctx, name, func(int) (*Process, error) {
		port, err := freeport.Pick("127.0.0.1", false)
		if err != nil {
			return nil, err
		}
		common := []string{
			"--kubeconfig=" + cp.KubeconfigPath,
			"--leader-elect=false",
			"--bind-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", port),
			"--cert-dir=" + filepath.Join(cp.Dir, "pki", name),
			"--v=1",
		}
		p, err := StartProcess(ProcessSpec{
			Name:    name,
			Path:    filepath.Join(cp.cfg.BinDir, name),
			Args:    append(common, args()...),
			LogPath: cp.LogPath(name),
		})
		if err != nil {
			return nil, err
		}
		cp.cfg.Logger.Info("waiting for "+name, "healthz", port)
		return p, WaitReady(ctx, p, cp.cfg.StartTimeout, func(ctx context.Context) error {
			return GetOK(ctx, insecure, fmt.Sprintf("https://127.0.0.1:%d/healthz", port))
		})
	})
	if err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	return nil
}
