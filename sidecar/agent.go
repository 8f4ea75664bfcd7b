package sidecar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/buildinfo"
)

// Agent is the running sidecar (or node agent, Config.Mode): the gossip member,
// the checks manager, the podinfo watcher, the checks file watcher (agent mode)
// and the HTTP server.
type Agent struct {
	cfg        Config
	log        *slog.Logger
	reg        *prometheus.Registry
	mesh       *gossip.Mesh
	checks     *checks.Manager
	podinfo    *podInfoReader
	checksFile *checksFileReader // nil in sidecar mode

	mu   sync.Mutex
	info PodInfo
}

// NewAgent builds the agent from cfg; it reads the podinfo files (and in agent
// mode the checks file) once so that the first metadata and checks are
// complete. A malformed podinfo file is logged, not fatal.
func NewAgent(cfg Config, log *slog.Logger) (*Agent, error) {
	a := &Agent{cfg: cfg, log: log, reg: prometheus.NewRegistry(), podinfo: &podInfoReader{dir: cfg.PodInfoDir}}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	info, _, err := a.podinfo.read()
	if err != nil {
		log.Warn("sidecar: podinfo unreadable; starting without labels", "err", err)
	}
	a.info = info
	mesh, err := gossip.New(a.gossipConfig())
	if err != nil {
		return nil, fmt.Errorf("sidecar: %w", err)
	}
	a.mesh = mesh
	checksCfg := checks.Config{Namespace: cfg.PodNamespace, OwnerKind: cfg.OwnerKind, OwnerName: cfg.OwnerName, Node: cfg.NodeName}
	if a.checks, err = checks.NewManager(checksCfg, mesh, log, a.reg); err != nil {
		return nil, fmt.Errorf("sidecar: %w", err)
	}
	a.loadChecks(info)
	mesh.SetDigestSource(a.digest)
	return a, nil
}

// Mesh returns the agent's gossip member.
func (a *Agent) Mesh() *gossip.Mesh { return a.mesh }

func (a *Agent) gossipConfig() gossip.Config {
	gc := gossip.DefaultConfig()
	gc.Name = gossip.MemberName(a.cfg.PodNamespace, a.cfg.PodName, a.cfg.PodUID)
	gc.Meta = a.meta(a.info)
	gc.BindAddr, gc.BindPort, gc.AdvertiseAddr = a.cfg.GossipBindAddr, a.cfg.GossipPort, a.cfg.PodIP
	gc.Join = a.cfg.GossipJoin
	gc.KeyFile = a.cfg.KeyFile()
	gc.EchoInterval, gc.EchoPeers, gc.EchoTimeout = a.cfg.RTTInterval, a.cfg.RTTPeers, a.cfg.RTTTimeout
	gc.PeerNamespaces, gc.PeerLabels, gc.PeerLabelLimit = a.cfg.RTTPeerNamespaces, a.cfg.RTTPeerLabels, a.cfg.RTTPeerLabelLimit
	gc.DigestInterval = a.cfg.DigestInterval
	gc.Logger, gc.Registerer = a.log, a.reg
	return gc
}

// meta is the gossip metadata for the pod as it is now.
func (a *Agent) meta(info PodInfo) gossip.Meta {
	return gossip.Meta{
		Pod: a.cfg.PodName, Namespace: a.cfg.PodNamespace, Node: a.cfg.NodeName, Zone: info.Zone(),
		OwnerKind: a.cfg.OwnerKind, OwnerName: a.cfg.OwnerName,
		App: info.App(), AppVersion: info.Version(), Agent: buildinfo.Version(), Role: a.cfg.Mode.role(),
	}
}

// Run serves HTTP and gossips until ctx ends, then leaves the mesh and stops the
// server within ShutdownTimeout. It fails fast when the HTTP port is taken;
// gossip trouble never stops it (runMesh).
func (a *Agent) Run(ctx context.Context) error {
	addr := net.JoinHostPort(a.cfg.HTTPAddr, strconv.Itoa(a.cfg.HTTPPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sidecar: listening on %s: %w", addr, err)
	}
	srv := newServer(newHandler(a.mesh, a.reg, a.checks.Handler(), a.cfg.MembersView, a.log), a.log)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("sidecar: serving", "mode", a.cfg.Mode, "checks", a.cfg.checksSource(), "addr", ln.Addr().String(), "member", a.mesh.LocalName())
	reportMissingKey(a.cfg.Mode, a.cfg.KeyFile(), a.log)

	var wg sync.WaitGroup
	meshCtx, stopMesh := context.WithCancel(context.WithoutCancel(ctx))
	meshErr := make(chan error, 1)
	wg.Go(func() { meshErr <- a.runMesh(meshCtx) })
	watchCtx, stopWatch := context.WithCancel(ctx)
	wg.Go(func() { a.podinfo.watch(watchCtx, a.cfg.PollInterval, a.onPodInfo, a.onPodInfoError) })
	wg.Go(func() { _ = a.checks.Run(watchCtx) })
	if a.checksFile != nil {
		wg.Go(func() { pollEvery(watchCtx, a.cfg.PollInterval, a.reloadChecksFile) })
	}

	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("sidecar: shutting down: leaving the mesh")
	case runErr = <-meshErr:
		meshErr <- runErr
	case runErr = <-serveErr:
	}
	stopWatch()
	return errors.Join(runErr, a.shutdown(srv, stopMesh, meshErr, &wg))
}

// shutdown leaves the mesh (the server keeps answering meanwhile), then stops
// the server, all within ShutdownTimeout.
func (a *Agent) shutdown(srv *http.Server, stopMesh context.CancelFunc, meshErr chan error, wg *sync.WaitGroup) error {
	deadline, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	stopMesh()
	var errs []error
	select {
	case err := <-meshErr:
		errs = append(errs, err)
	case <-deadline.Done():
		errs = append(errs, errors.New("sidecar: leaving the mesh timed out"))
	}
	if err := srv.Shutdown(deadline); err != nil {
		errs = append(errs, fmt.Errorf("sidecar: stopping the HTTP server: %w", err))
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-deadline.Done():
	}
	return errors.Join(errs...)
}

// onPodInfo applies changed labels (gossip metadata) and, in sidecar mode, a
// changed checks annotation (reloads the checks; an invalid one keeps the last
// good set).
func (a *Agent) onPodInfo(info PodInfo) {
	a.mu.Lock()
	prev := a.info
	a.info = info
	a.mu.Unlock()
	if info.App() != prev.App() || info.Version() != prev.Version() || info.Zone() != prev.Zone() {
		a.log.Info("sidecar: pod labels changed", "app", info.App(), "version", info.Version(), "zone", info.Zone())
		a.mesh.UpdateMeta(a.meta(info))
	}
	if a.checksFile == nil && info.Checks() != prev.Checks() {
		_ = a.checks.Reload(info.Checks())
	}
}

func (a *Agent) onPodInfoError(err error) {
	a.log.Warn("sidecar: podinfo unreadable; keeping the last good labels and annotations", "err", err)
}
