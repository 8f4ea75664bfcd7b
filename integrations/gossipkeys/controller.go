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

// Retry backoff after a failed pass.
const (
	minRetry = time.Second
	maxRetry = 30 * time.Second
)

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

// Run keeps the key until ctx ends (the leadership term). It returns an error
// only when its caches cannot start; a failing pass is retried with backoff.
func (c *Controller) Run(ctx context.Context) error {
	rt, err := c.start(ctx)
	if err != nil {
		return err
	}
	defer rt.stop()
	rt.loop(ctx)
	return nil
}

// loop runs a pass on every change, at least every Resync, every PollInterval
// while a rotation is in progress, and with backoff after a failure.
func (rt *runtime) loop(ctx context.Context) {
	var retry time.Duration
	for {
		wait := rt.c.cfg.Resync
		if err := rt.pass(ctx); err != nil {
			retry = min(max(2*retry, minRetry), maxRetry)
			wait = retry
			if ctx.Err() == nil {
				rt.log.Warn("gossipkeys: pass failed; retrying", "in", retry, "err", err)
			}
		} else {
			retry = 0
			if rt.rotating {
				wait = min(wait, rt.c.cfg.PollInterval)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-rt.kicks:
		case <-rt.c.cfg.Clock.After(wait):
		}
	}
}
