package clusterchecks

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/leader"
)

// Controller maintains ConfigMapName from the source ConfigMaps.
type Controller struct {
	cfg     Config
	kube    kubernetes.Interface
	log     *slog.Logger
	metrics *metrics
}

// New validates cfg, registers the task's metrics with reg (unless nil) and
// returns the controller.
func New(cfg Config, kube kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if kube == nil {
		return nil, errors.New("clusterchecks: a Kubernetes client is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Controller{cfg: cfg, kube: kube, log: log.With("task", TaskName), metrics: m}, nil
}

// Task returns the controller as a leader-only task.
func (c *Controller) Task() leader.Task { return leader.Task{Name: TaskName, Run: c.Run} }

// Run watches the sources and ConfigMapName until ctx ends. It returns an error
// only when its caches cannot start; a failing pass is retried with backoff
// (controlloop.Loop).
func (c *Controller) Run(ctx context.Context) error {
	rt, err := c.start(ctx)
	if err != nil {
		return err
	}
	defer rt.stop()
	rt.loop.Run(ctx, rt.pass)
	return nil
}
