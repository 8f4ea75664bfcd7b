package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// ControlPlane is a running control plane. Stop it with Stop.
type ControlPlane struct {
	// Config is an admin (system:masters) client config.
	Config *rest.Config
	// KubeconfigPath is an admin kubeconfig with embedded credentials.
	KubeconfigPath string
	// CA signed the apiserver's serving certificate and the client certificates.
	CA *CA
	// ServiceAccountKeyPath is the PEM private key that signs service-account tokens.
	ServiceAccountKeyPath string
	// Dir is the working directory given in Config.
	Dir string

	cfg       Config
	pki       *pkiFiles
	procs     []*Process // in start order
	etcdURL   string
	apiServer *Process
}

// Start starts the control plane described by cfg and waits until it is ready.
// On error everything already started is stopped again.
func Start(ctx context.Context, cfg Config) (*ControlPlane, error) {
	c := cfg.withDefaults()
	if err := checkBinaries(c); err != nil {
		return nil, err
	}
	for _, d := range []string{"pki", "etcd", "logs"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("controlplane: creating %s: %w", d, err)
		}
	}
	cp := &ControlPlane{Dir: c.Dir, cfg: c}
	for _, step := range []func(context.Context) error{
		func(context.Context) error { return cp.writePKI() },
		cp.startEtcd, cp.startAPIServer, cp.startComponents,
	} {
		if err := step(ctx); err != nil {
			cp.Stop()
			return nil, fmt.Errorf("controlplane: %w", err)
		}
	}
	return cp, nil
}

func checkBinaries(c Config) error {
	if c.BinDir == "" {
		return errors.New("controlplane: no binary directory given: set KUBEBUILDER_ASSETS to the output of hack/k8s-binaries.sh")
	}
	if c.Dir == "" {
		return errors.New("controlplane: no working directory given")
	}
	need := []string{BinEtcd, BinAPIServer}
	if c.ControllerManager {
		need = append(need, BinControllerManager)
	}
	if c.Scheduler {
		need = append(need, BinScheduler)
	}
	for _, b := range need {
		if _, err := os.Stat(filepath.Join(c.BinDir, b)); err != nil {
			return fmt.Errorf("controlplane: %s not found in %s (run hack/k8s-binaries.sh): %w", b, c.BinDir, err)
		}
	}
	return nil
}

// Stop stops every component, newest first, and waits for them to exit.
// The working directory is left for the caller to remove.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].Stop(10 * time.Second)
	}
	cp.procs = nil
}

// LogPath returns the log file of component (e.g. "kube-apiserver").
func (cp *ControlPlane) LogPath(component string) string {
	return filepath.Join(cp.Dir, "logs", component+".log")
}

// Processes returns the running components, in start order.
func (cp *ControlPlane) Processes() []*Process { return append([]*Process(nil), cp.procs...) }

// APIServerURL returns the apiserver's https URL.
func (cp *ControlPlane) APIServerURL() string { return cp.Config.Host }

// startWithRetry starts a component and waits for ready; when the component dies
// because a picked port was taken meanwhile, it tries again with fresh ports.
func (cp *ControlPlane) startWithRetry(ctx context.Context, name string, attempt func(try int) (*Process, error)) (*Process, error) {
	var lastErr error
	for try := range 3 {
		p, err := attempt(try)
		if err == nil {
			cp.procs = append(cp.procs, p)
			return p, nil
		}
		lastErr = err
		if p != nil {
			p.Stop(time.Second)
			if strings.Contains(p.Tail(40), "address already in use") && ctx.Err() == nil {
				cp.cfg.Logger.Info("port taken meanwhile; retrying", "component", name)
				continue
			}
		}
		break
	}
	return nil, lastErr
}

// WaitReady polls check (each call bounded to 2 s) until it succeeds, the process
// exits, or the timeout passes; its errors carry the last lines of the process log.
func WaitReady(ctx context.Context, p *Process, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if exited, werr := p.Exited(); exited {
			return fmt.Errorf("%s exited before it was ready (%v); last lines of %s:\n%s", p.Name, werr, p.LogPath, p.Tail(30))
		}
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		ccancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s (last check: %v); last lines of %s:\n%s", p.Name, timeout, last, p.LogPath, p.Tail(30))
		case <-tick.C:
		}
	}
}

func hostPort(ip net.IP, port int) string {
	return net.JoinHostPort(ip.String(), fmt.Sprint(port))
}
