package thousandeyes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/reconciler"
)

// Controller syncs ThousandEyes tests from ConfigMaps while Run runs.
type Controller struct {
	log     *slog.Logger
	kube    kubernetes.Interface
	cfg     Config
	metrics *metrics

	running   atomic.Bool
	startedAt atomic.Int64 // unix nanos of the current Run's start
	beat      atomic.Int64 // unix nanos of the loop's last heartbeat
	passStart atomic.Int64 // unix nanos of the pass in progress, 0 when idle
	synced    atomic.Bool

	mu       sync.Mutex
	lastPass passStatus
}

type passStatus struct {
	at  time.Time
	err error
}

// heartbeatEvery is how often an idle loop proves it is alive.
const heartbeatEvery = 5 * time.Second

// cacheSyncGrace is how long Healthy tolerates an informer cache that has not synced.
const cacheSyncGrace = 2 * time.Minute

// New returns a controller. It registers its metrics with reg (reusing them when
// already registered). It returns ErrNotConfigured when cfg has no token.
func New(cfg Config, kube kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) (*Controller, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("thousandeyes: registering metrics: %w", err)
	}
	return &Controller{log: log.With("component", "thousandeyes"), kube: kube, cfg: cfg, metrics: m}, nil
}

// Run syncs until ctx is cancelled (leadership lost), then stops its informers
// and event broadcaster and returns nil. Every ThousandEyes write runs under ctx
// (a write in flight when it is cancelled is cut off) and is preceded by a
// check that this replica still holds the Lease (Config.Lease). Run may be
// called again after it returns.
func (c *Controller) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("thousandeyes: Run is already running")
	}
	defer c.running.Store(false)
	now := time.Now().UnixNano()
	c.startedAt.Store(now)
	c.beat.Store(now)
	c.synced.Store(false)
	rt, err := c.newRuntime(ctx)
	if err != nil {
		return err
	}
	defer rt.term.Stop()
	if err := rt.start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	c.synced.Store(true)
	c.log.Info("ThousandEyes sync started", "selector", c.cfg.Selector, "namespace", c.cfg.Namespace,
		"optedIn", rt.optIn.fixed, "install", rt.install, "resync", c.cfg.Resync)
	c.loop(ctx, rt)
	c.log.Info("ThousandEyes sync stopped")
	return nil
}

// loop runs passes: debounced after changes, every Resync, and retried with
// backoff after failures, until ctx ends.
func (c *Controller) loop(ctx context.Context, rt *runtime) {
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	next := time.NewTimer(0) // the first pass runs at once
	defer next.Stop()
	var firstKick time.Time
	retry := c.cfg.RetryMin
	for {
		c.beat.Store(time.Now().UnixNano())
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			continue
		case <-rt.kicks.C():
			if firstKick.IsZero() {
				firstKick = time.Now()
			}
			// Wait for quiet, but never longer than 5 debounce periods in all.
			wait := min(c.cfg.Debounce, time.Until(firstKick.Add(5*c.cfg.Debounce)))
			next.Reset(max(wait, 0))
			continue
		case <-next.C:
		}
		firstKick = time.Time{}
		if err := c.pass(ctx, rt); err != nil && ctx.Err() == nil {
			c.log.Warn("ThousandEyes sync pass failed; retrying", "in", retry, "err", err)
			next.Reset(retry)
			retry = min(2*retry, c.cfg.RetryMax)
			continue
		}
		retry = c.cfg.RetryMin
		next.Reset(c.cfg.Resync)
	}
}

// pass runs one reconciler pass and reports it.
func (c *Controller) pass(ctx context.Context, rt *runtime) error {
	c.passStart.Store(time.Now().UnixNano())
	defer func() {
		c.beat.Store(time.Now().UnixNano()) // before clearing passStart, so Healthy never sees a stale beat
		c.passStart.Store(0)
	}()
	sources, objs := rt.sources()
	pctx, cancel := context.WithTimeout(ctx, c.cfg.PassTimeout)
	res := rt.rec.Sync(pctx, sources)
	cancel()
	c.metrics.observePass(res)
	rt.report(ctx, res, objs)
	err := res.Err()
	c.mu.Lock()
	c.lastPass = passStatus{at: time.Now(), err: err}
	c.mu.Unlock()
	if err == nil || !retryable(res) {
		c.log.Debug("ThousandEyes sync pass done", "configmaps", len(objs), "managed", res.Managed, "err", err)
		return nil
	}
	return err
}

// retryable reports whether a failed pass is worth retrying before the next
// change or resync: an invalid ConfigMap is not, until it is edited.
func retryable(res reconciler.Result) bool {
	if res.ListErr != nil {
		return true
	}
	for _, src := range res.Sources {
		if src.Invalid {
			continue
		}
		if src.Err() != nil {
			return true
		}
	}
	return false
}

// Healthy reports whether the sync loop is alive: Run is running, its informer
// cache synced (within a grace period), and the loop either beat recently or is
// inside a pass younger than PassTimeout. A pass that failed because the
// ThousandEyes API is down does not make it unhealthy: the loop is alive and
// retrying (see LastPass).
func (c *Controller) Healthy() error {
	if !c.running.Load() {
		return errors.New("thousandeyes: sync loop is not running")
	}
	now := time.Now()
	if !c.synced.Load() {
		if now.Sub(time.Unix(0, c.startedAt.Load())) > cacheSyncGrace {
			return errors.New("thousandeyes: ConfigMap cache has not synced")
		}
		return nil
	}
	if start := c.passStart.Load(); start != 0 {
		if d := now.Sub(time.Unix(0, start)); d > c.cfg.PassTimeout+time.Minute {
			return fmt.Errorf("thousandeyes: sync pass stuck for %v", d.Round(time.Second))
		}
		return nil
	}
	if d := now.Sub(time.Unix(0, c.beat.Load())); d > 3*heartbeatEvery {
		return fmt.Errorf("thousandeyes: sync loop silent for %v", d.Round(time.Second))
	}
	return nil
}

// LastPass returns when the last pass ended and its error (nil when it succeeded).
func (c *Controller) LastPass() (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastPass.at, c.lastPass.err
}
