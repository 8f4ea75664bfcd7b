package memberverify

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/internal/controlloop"
	"github.com/meshprobe/meshprobe/internal/snapshotgauge"
)

// TaskName is the leader task's name.
const TaskName = "member-verify"

// EventReason is the reason of the Warning Event about an impostor.
const EventReason = "GossipImpostor"

const eventComponent = "meshprobe-member-verify"

// Reporter is the leader-only task that checks the mesh every Interval and
// reports impostors: the gauge, a log line and an Event each, rate limited.
type Reporter struct {
	cfg     Config
	view    *View
	kube    kubernetes.Interface
	log     *slog.Logger
	metrics *snapshotgauge.Gauge
}

// NewReporter validates cfg, registers meshprobe_mesh_impostor_members with reg
// and returns the reporter of view's impostors.
func NewReporter(cfg Config, view *View, kube kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) (*Reporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if view == nil || kube == nil {
		return nil, errors.New("memberverify: a view and a Kubernetes client are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newGauge(reg)
	if err != nil {
		return nil, err
	}
	return &Reporter{cfg: cfg, view: view, kube: kube, log: log.With("task", TaskName), metrics: m}, nil
}

// Task returns the reporter as a leader-only task.
func (r *Reporter) Task() leader.Task { return leader.Task{Name: TaskName, Run: r.Run} }

// Run checks the mesh every Interval until ctx ends (the leadership term),
// once the pod cache is filled. It returns nil.
func (r *Reporter) Run(ctx context.Context) error {
	var term controlloop.Term
	rec := term.Recorder(r.kube, eventComponent, record.WithContext(ctx))
	defer func() {
		term.Stop()
		r.metrics.Set(nil)
	}()
	if !cache.WaitForCacheSync(ctx.Done(), r.view.synced) {
		return nil
	}
	s := newScanner(r, rec)
	tick := r.cfg.Clock.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		s.scan(r.cfg.Clock.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C():
		}
	}
}
