package leader

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/meshprobe/meshprobe/internal/logging"
)

// Elector campaigns for the Lease and runs the leader-only tasks while it holds it.
type Elector struct {
	cfg    Config
	client kubernetes.Interface
	log    *slog.Logger
	runner *runner
	leader atomic.Pointer[string]
}

// New builds an elector. When cfg.PodName is set, a built-in task keeps the
// meshprobe.io/role=leader label on the leader's pod. The meshprobe_leader gauge
// is registered with reg.
func New(cfg Config, client kubernetes.Interface, tasks []Task, log *slog.Logger, reg prometheus.Registerer) (*Elector, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := validateTasks(tasks); err != nil {
		return nil, err
	}
	gauge, err := newLeaderGauge(reg)
	if err != nil {
		return nil, err
	}
	if cfg.PodName != "" {
		l := &labeler{client: client, namespace: cfg.Namespace, pod: cfg.PodName,
			selector: cfg.PodSelector, interval: cfg.RelabelInterval, log: log}
		tasks = append([]Task{{Name: labelTaskName, Run: l.run}}, tasks...)
	}
	e := &Elector{cfg: cfg, client: client, log: log,
		runner: &runner{tasks: tasks, log: log, gauge: gauge, stopTimeout: cfg.StopTimeout}}
	e.leader.Store(new(string))
	return e, nil
}

// Run campaigns until ctx is done. Each time it wins, it runs the tasks; each
// time it loses, it stops them and campaigns again. On shutdown it stops the
// tasks first and then releases the Lease, so that another replica can take over
// at once. Run returns nil after ctx is done; it returns an error only for a
// configuration that client-go refuses.
func (e *Elector) Run(ctx context.Context) error {
	ctx = logr.NewContext(ctx, logging.Logr(e.log)) // client-go logs through the context
	for {
		if err := e.campaign(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		e.log.Warn("leader: lost the Lease; campaigning again", "lease", e.cfg.Namespace+"/"+e.cfg.LeaseName)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(e.cfg.RetryPeriod):
		}
	}
}

// IsLeader reports whether this replica is leading and running its tasks.
func (e *Elector) IsLeader() bool { return e.runner.leading() }

// Leader returns the identity of the last observed leader, "" before any.
func (e *Elector) Leader() string { return *e.leader.Load() }

// campaign runs one client-go election until the Lease is lost or ctx is done.
func (e *Elector) campaign(ctx context.Context) error {
	// The election runs on its own context, so that on shutdown the tasks are
	// stopped before client-go releases the Lease.
	electCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopOnShutdown := context.AfterFunc(ctx, func() { e.runner.stop(); cancel() })
	defer stopOnShutdown()

	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            e.lock(),
		Name:            e.cfg.LeaseName,
		LeaseDuration:   e.cfg.LeaseDuration,
		RenewDeadline:   e.cfg.RenewDeadline,
		RetryPeriod:     e.cfg.RetryPeriod,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lead context.Context) { e.runner.start(ctx, lead) },
			OnStoppedLeading: e.runner.stop,
			OnNewLeader:      e.observeLeader,
		},
	})
	if err != nil {
		return fmt.Errorf("leader: configuring the election: %w", err)
	}
	le.Run(electCtx)
	return nil
}

func (e *Elector) lock() *resourcelock.LeaseLock {
	return &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.LeaseName},
		Client:     e.client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: e.cfg.Identity, EventRecorder: e.cfg.EventRecorder},
	}
}

func (e *Elector) observeLeader(identity string) {
	e.leader.Store(&identity)
	e.log.Info("leader: observed leader", "leader", identity, "self", identity == e.cfg.Identity)
}
