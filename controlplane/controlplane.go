package controlplane

// The control-plane role of meshprobe-webhook. Every replica runs the shared
// informers (so a new leader answers at once) and a gossip seed member; the
// replica that holds the Lease runs the leader-only tasks. leaderTasks is the
// one place where a leader-only task is plugged in.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/gossipkeys"
	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes"
	"github.com/meshprobe/meshprobe/internal/buildinfo"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

// controlPlaneOptions are the flags of the control-plane role.
type controlPlaneOptions struct {
	leaderElect       bool
	leaderID          string
	leaderPodSelector string
	leaseDuration     time.Duration
	renewDeadline     time.Duration
	retryPeriod       time.Duration

	heartbeatAddr      string
	heartbeatRateLimit string
	insecureNoAuth     bool

	gossip         bool
	gossipBindAddr string
	gossipKeyDir   string

	te         thousandeyes.Options
	gossipKeys gossipkeys.Config
	trust      trustOptions // trust.go: missed injections, built-in webhook certificates
}

// registerFlags adds the control-plane flags to fs. The ThousandEyes settings
// are read from the environment first, so that flags win.
func (c *controlPlaneOptions) registerFlags(fs *flag.FlagSet) {
	d := leader.DefaultConfig()
	fs.BoolVar(&c.leaderElect, "leader-elect", true, "campaign for the "+contract.LeaseName+" Lease and run the leader-only tasks (ThousandEyes sync, heartbeat API, gossip keys) while leading")
	fs.StringVar(&c.leaderID, "leader-id", "", "identity in the Lease (default $POD_NAME, else the host name and a random suffix)")
	fs.StringVar(&c.leaderPodSelector, "leader-pod-selector", "", "label selector of the control-plane pods the leader takes the "+contract.LabelRole+" label from (default: this pod's labels without the per-revision ones)")
	fs.DurationVar(&c.leaseDuration, "leader-lease-duration", d.LeaseDuration, "how long followers wait after the leader's last renewal before taking the Lease over")
	fs.DurationVar(&c.renewDeadline, "leader-renew-deadline", d.RenewDeadline, "how long the leader retries renewing before it steps down")
	fs.DurationVar(&c.retryPeriod, "leader-retry-period", d.RetryPeriod, "interval between attempts to acquire or renew the Lease")
	fs.StringVar(&c.heartbeatAddr, "heartbeat-addr", heartbeat.DefaultAddr, "address of the heartbeat API, served by the leader only (\"0\" disables it)")
	fs.StringVar(&c.heartbeatRateLimit, "heartbeat-rate-limit", "", "per-client-IP heartbeat budget, e.g. 3600-H, or off (default $"+heartbeat.EnvRateLimit+", else 3600-H)")
	fs.BoolVar(&c.insecureNoAuth, "insecure-no-auth", false, "serve the heartbeat API without a token (otherwise $"+heartbeat.EnvAuthToken+" is required)")
	fs.BoolVar(&c.gossip, "gossip", true, "run a gossip seed member (needed by the heartbeat mesh counts and the gossip-key task)")
	fs.StringVar(&c.gossipBindAddr, "gossip-bind-address", "0.0.0.0", "address the control plane's gossip member binds (its port is --gossip-port)")
	fs.StringVar(&c.gossipKeyDir, "gossip-key-dir", envOr(contract.EnvGossipKeyDir, contract.DefaultGossipKeyDir), "directory with the gossip key file \""+contract.GossipKeySecretKey+"\" (the mounted "+contract.GossipKeySecretName+" Secret)")
	c.te = thousandeyes.DefaultOptions()
	c.te.LoadEnv(os.Getenv)
	c.te.RegisterFlags(fs)
	c.gossipKeys = gossipkeys.DefaultConfig()
	c.gossipKeys.RegisterFlags(fs)
	c.trust.registerFlags(fs)
}

// controlPlane is the wired control-plane role.
type controlPlane struct {
	log     *slog.Logger
	factory informers.SharedInformerFactory
	events  record.EventBroadcaster
	mesh    *gossip.Mesh             // nil with --gossip=false
	elector *leader.Elector          // nil with --leader-elect=false
	te      *thousandeyes.Controller // nil without a ThousandEyes token
	trust   []component              // per-replica trust parts (trust.go)
}

// newControlPlane builds the control-plane role from the options. Without any
// Kubernetes client config (no --kubeconfig, $KUBECONFIG, in-cluster config or
// ~/.kube/config) only the webhook runs, as in a local trial.
func newControlPlane(o *options, log *slog.Logger, reg prometheus.Registerer) (*controlPlane, error) {
	rc, err := restConfig(o.kubeconfig)
	if err != nil && o.kubeconfig == "" {
		log.Error("control plane is off: no Kubernetes client config; only the webhook runs", "err", err)
		return &controlPlane{log: log}, nil
	}
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("control plane: building the Kubernetes client: %w", err)
	}
	cp := &controlPlane{
		log:     log,
		factory: informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(stripManagedFields)),
		events:  record.NewBroadcaster(),
		trust:   trustComponents(&o.cp.trust, o.namespace, o.certDir, client, log),
	}
	if o.cp.gossip {
		if cp.mesh, err = newControlPlaneMesh(o, log, reg); err != nil {
			return nil, err
		}
	}
	if !o.cp.leaderElect {
		log.Warn("leader election is off (--leader-elect=false): no leader-only task runs on this replica")
		return cp, nil
	}
	tasks, err := cp.leaderTasks(o, client, reg)
	if err != nil {
		return nil, err
	}
	lc, err := cp.leaderConfig(o)
	if err != nil {
		return nil, err
	}
	if cp.elector, err = leader.New(lc, client, tasks, log, reg); err != nil {
		return nil, err
	}
	cp.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return cp, nil
}

// leaderTasks builds the leader-only tasks. Plug new leader-only work in here.
func (cp *controlPlane) leaderTasks(o *options, client kubernetes.Interface, reg prometheus.Registerer) ([]leader.Task, error) {
	var tasks []leader.Task
	hb, err := cp.heartbeatTask(o, reg)
	if err != nil {
		return nil, err
	}
	tasks = append(tasks, hb...)
	te, err := thousandeyes.New(cp.log, reg, client, o.cp.te)
	switch {
	case errors.Is(err, thousandeyes.ErrNotConfigured):
		cp.log.Info("ThousandEyes sync is off: no API token", "err", err)
	case err != nil:
		return nil, err
	default:
		cp.te = te
		tasks = append(tasks, leader.Task{Name: "thousandeyes", Run: te.Run})
	}
	trust, err := trustLeaderTasks(o, client, cp.log, reg)
	if err != nil {
		return nil, err
	}
	tasks = append(tasks, trust...)
	if cp.mesh == nil {
		cp.log.Warn("gossip-key task is off: it needs the control plane's gossip member (--gossip)")
		return tasks, nil
	}
	gk := o.cp.gossipKeys
	gk.Namespace, gk.ExcludedNamespaces = o.namespace, excludedNamespaces(o.excludedNS, o.namespace)
	keys, err := gossipkeys.New(gk, client, cp.mesh, cp.log)
	if err != nil {
		return nil, err
	}
	return append(tasks, keys.Task()), nil
}

// heartbeatTask builds the heartbeat API over the shared informers. Without a
// token (and without --insecure-no-auth) the API stays off, the rest runs.
func (cp *controlPlane) heartbeatTask(o *options, reg prometheus.Registerer) ([]leader.Task, error) {
	if o.cp.heartbeatAddr == "0" {
		return nil, nil
	}
	cfg := heartbeat.DefaultConfig()
	cfg.Addr, cfg.InsecureNoAuth = o.cp.heartbeatAddr, o.cp.insecureNoAuth
	if err := cfg.LoadEnv(os.Getenv); err != nil {
		return nil, err
	}
	if o.cp.heartbeatRateLimit != "" {
		r, err := heartbeat.ParseRate(o.cp.heartbeatRateLimit)
		if err != nil {
			return nil, fmt.Errorf("--heartbeat-rate-limit: %w", err)
		}
		cfg.RateLimit = r
	}
	if cfg.Token == "" && !cfg.InsecureNoAuth {
		cp.log.Error("heartbeat API is off: set " + heartbeat.EnvAuthToken + " (or pass --insecure-no-auth)")
		return nil, nil
	}
	hc, err := heartbeat.NewCache(cp.factory)
	if err != nil {
		return nil, err
	}
	var mesh heartbeat.MeshView
	if cp.mesh != nil {
		mesh = cp.mesh
	}
	srv, err := heartbeat.NewServer(cfg, hc, mesh, cp.log, reg)
	if err != nil {
		return nil, err
	}
	return []leader.Task{{Name: "heartbeat", Run: srv.Run}}, nil
}

func (cp *controlPlane) leaderConfig(o *options) (leader.Config, error) {
	c := leader.DefaultConfig()
	c.Namespace, c.PodName = o.namespace, os.Getenv(contract.EnvPodName)
	c.Identity = o.cp.leaderID
	if c.Identity == "" {
		c.Identity = defaultIdentity()
	}
	c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = o.cp.leaseDuration, o.cp.renewDeadline, o.cp.retryPeriod
	if o.cp.leaderPodSelector != "" {
		sel, err := labels.Parse(o.cp.leaderPodSelector)
		if err != nil {
			return c, fmt.Errorf("--leader-pod-selector %q: %w", o.cp.leaderPodSelector, err)
		}
		c.PodSelector = sel
	}
	if c.PodName == "" {
		cp.log.Warn("leader: $" + contract.EnvPodName + " is unset, so no pod gets the " + contract.LabelRole + " label")
	}
	c.EventRecorder = cp.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "meshprobe-webhook", Host: c.Identity})
	return c, nil
}

// newControlPlaneMesh builds the control plane's gossip seed member. It only
// listens and keeps membership: RTT probing is the sidecars' job.
func newControlPlaneMesh(o *options, log *slog.Logger, reg prometheus.Registerer) (*gossip.Mesh, error) {
	pod := envOr(contract.EnvPodName, hostname())
	gc := gossip.DefaultConfig()
	gc.Name = gossip.MemberName(o.namespace, pod, os.Getenv(contract.EnvPodUID))
	gc.Meta = gossip.Meta{Pod: pod, Namespace: o.namespace, Node: os.Getenv(contract.EnvNodeName),
		App: "meshprobe-webhook", Agent: buildinfo.Version(), Role: gossip.RoleControlPlane}
	gc.BindAddr, gc.BindPort, gc.AdvertiseAddr = o.cp.gossipBindAddr, o.gossipPort, os.Getenv(contract.EnvPodIP)
	join := o.gossipJoin
	if join == "" {
		join = webhook.DefaultGossipJoin(o.namespace, int32(o.gossipPort))
	}
	gc.Join = []string{join}
	gc.KeyFile = filepath.Join(o.cp.gossipKeyDir, contract.GossipKeySecretKey)
	gc.EchoInterval = 0
	gc.Logger, gc.Registerer = log, reg
	m, err := gossip.New(gc)
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	return m, nil
}

// components are the control plane's long-running parts, for runAll.
func (cp *controlPlane) components() []component {
	if cp.factory == nil {
		return nil
	}
	list := []component{{"informers", cp.runInformers}}
	if cp.mesh != nil {
		list = append(list, component{"gossip", cp.mesh.Run})
	}
	if cp.elector != nil {
		list = append(list, component{"leader-election", cp.elector.Run})
	}
	return append(list, cp.trust...)
}

// runInformers fills the shared caches on every replica, so that a new leader
// answers heartbeats at once, and stops them when ctx ends.
func (cp *controlPlane) runInformers(ctx context.Context) error {
	cp.factory.Start(ctx.Done())
	<-ctx.Done()
	cp.factory.Shutdown()
	cp.events.Shutdown()
	return nil
}

// readyChecks are readiness checks of the leader-only work: while this replica
// leads, the ThousandEyes sync loop must be alive.
func (cp *controlPlane) readyChecks() map[string]healthz.Checker {
	checks := map[string]healthz.Checker{}
	if cp.te != nil && cp.elector != nil {
		checks["thousandeyes"] = func(*http.Request) error {
			if !cp.elector.IsLeader() {
				return nil
			}
			return cp.te.Healthy()
		}
	}
	return checks
}

// stripManagedFields drops managedFields from cached objects: nothing here reads
// them, and they are often the largest part of an object.
func stripManagedFields(obj any) (any, error) {
	if a, err := meta.Accessor(obj); err == nil {
		a.SetManagedFields(nil)
	}
	return obj, nil
}

// defaultIdentity is $POD_NAME, else the host name with a random suffix.
func defaultIdentity() string {
	if pod := os.Getenv(contract.EnvPodName); pod != "" {
		return pod
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hostname() + "_" + hex.EncodeToString(b[:])
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "meshprobe-webhook"
	}
	return h
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
