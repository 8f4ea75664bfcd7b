package gossipkeys

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/leader"
)

// TaskName is the leader task's name.
const TaskName = "gossip-keys"

// Controller keeps the gossip key: the source Secret, its copies and rotations.
type Controller struct {
	cfg  Config
	kube kubernetes.Interface
	view MemberView
	log  *slog.Logger
}

// New validates cfg and returns the controller. view is the leader's gossip
// member (*gossip.Mesh); rotations wait on what it sees.
func New(cfg Config, kube kubernetes.Interface, view MemberView, log *slog.Logger) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if kube == nil || view == nil {
		return nil, errors.New("gossipkeys: a Kubernetes client and a gossip member view are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Controller{cfg: cfg, kube: kube, view: view, log: log.With("task", TaskName)}, nil
}

// Task returns the controller as a leader-only task.
func (c *Controller) Task() leader.Task { return leader.Task{Name: TaskName, Run: c.Run} }

// Run keeps the key until ctx ends (the leadership term). It runs a pass on
// every change, at least every Resync and every PollInterval while a rotation is
// in progress. It returns an error only when its caches cannot start; a failing
// pass is retried with backoff (controlloop.Loop).
func (c *Controller) Run(ctx context.Context) error {
	rt, err := c.start(ctx)
	if err != nil {
		return err
	}
	defer rt.term.Stop()
	rt.loop.Run(ctx, rt.timedPass)
	return nil
}

// timedPass runs a pass and returns how long the loop may wait for a change
// before the next one: Resync, or PollInterval while a rotation is in progress.
func (rt *runtime) timedPass(ctx context.Context) (time.Duration, error) {
	if err := rt.pass(ctx); err != nil {
		return 0, err
	}
	if rt.rotating {
		return min(rt.c.cfg.Resync, rt.c.cfg.PollInterval), nil
	}
	return rt.c.cfg.Resync, nil
}
