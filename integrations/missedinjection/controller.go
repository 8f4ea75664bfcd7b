package missedinjection

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/internal/snapshotgauge"
)

// TaskName is the leader task's name.
const TaskName = "missed-injections"

// Event reasons.
const (
	// ReasonMissed (Warning), on a missed pod and on its owner.
	ReasonMissed = "MissedInjection"
	// ReasonRestarted (Normal), on a workload restarted by the repair.
	ReasonRestarted = "MissedInjectionRestart"
	// ReasonRepairSuspended (Warning), on a workload the loop breaker stopped
	// restarting.
	ReasonRepairSuspended = "MissedInjectionRepairSuspended"
	eventComponent        = "meshprobe-missed-injections"
)

// Controller finds, reports and optionally repairs missed injections.
type Controller struct {
	cfg     Config
	kube    kubernetes.Interface
	log     *slog.Logger
	metrics *snapshotgauge.Gauge // meshprobe_webhook_missed_pods
	// suspended is meshprobe_webhook_missed_repair_suspended.
	suspended *snapshotgauge.Gauge
}

// New validates cfg, registers meshprobe_webhook_missed_pods and
// meshprobe_webhook_missed_repair_suspended with reg and returns the controller.
func New(cfg Config, kube kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if kube == nil {
		return nil, errors.New("missedinjection: a Kubernetes client is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newGauge(reg, missedPodsName, missedPodsHelp)
	if err != nil {
		return nil, err
	}
	sg, err := newGauge(reg, suspendedName, suspendedHelp)
	if err != nil {
		return nil, err
	}
	return &Controller{cfg: cfg, kube: kube, log: log.With("task", TaskName), metrics: m, suspended: sg}, nil
}

// Task returns the controller as a leader-only task.
func (c *Controller) Task() leader.Task { return leader.Task{Name: TaskName, Run: c.Run} }

// Run watches pods until ctx ends. It returns an error only when its caches
// cannot start; a failing pass is retried with backoff (controlloop.Loop).
func (c *Controller) Run(ctx context.Context) error {
	rt, err := c.start(ctx)
	if err != nil {
		return err
	}
	defer rt.stop()
	rt.loop.Run(ctx, rt.pass)
	return nil
}
