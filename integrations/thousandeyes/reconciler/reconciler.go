package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
)

// Config tunes a Reconciler.
type Config struct {
	// Prune deletes owned tests that are no longer declared for every ConfigMap,
	// and those of ConfigMaps that no longer exist, as if each had prune: true.
	Prune bool
	// AdoptByURL takes over an unmarked test whose URL exactly one declaration
	// uses, instead of reporting a name conflict or creating a second test.
	AdoptByURL bool
	// NameCacheTTL is how long agent and alert-rule listings are cached; default 10m.
	NameCacheTTL time.Duration
	// WriteTimeout bounds each write; default 30s. Writes run under the pass's
	// context: cancelling it (leadership lost) cuts off the write in flight.
	WriteTimeout time.Duration
	// Install is this meshprobe install's identity (required, see
	// ValidateInstall). It is written into every marker; only tests whose marker
	// carries it are updated or pruned.
	Install string
	// Guard, when set, is called right before each write; an error refuses the
	// write and every later one in the pass (for example: the Lease is lost).
	Guard func(ctx context.Context) error
}

// Reconciler runs passes. Sync must not be called concurrently.
type Reconciler struct {
	api   API
	log   *slog.Logger
	cfg   Config
	names *names
	pass  atomic.Uint64
}

// New returns a Reconciler writing through api.
func New(cfg Config, api API, log *slog.Logger) (*Reconciler, error) {
	if err := ValidateInstall(cfg.Install); err != nil {
		return nil, fmt.Errorf("reconciler: %w", err)
	}
	if cfg.NameCacheTTL <= 0 {
		cfg.NameCacheTTL = 10 * time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	return &Reconciler{api: api, log: log, cfg: cfg, names: &names{api: api, ttl: cfg.NameCacheTTL}}, nil
}

// Sync runs one pass over sources: one list call, then the writes it plans.
// When ctx is cancelled, or Guard refuses, no further write starts and the
// remaining actions carry the error; a write in flight is cut off by ctx.
func (r *Reconciler) Sync(ctx context.Context, sources []Source) Result {
	pass := r.pass.Add(1)
	actual, err := r.api.ListHTTPServerTests(ctx)
	if err != nil {
		return Result{ListErr: fmt.Errorf("listing tests, pass aborted with no writes: %w", err)}
	}
	p := newPlan(r.cfg, actual)
	sources = append([]Source(nil), sources...)
	sort.Slice(sources, func(i, j int) bool { return sources[i].Key() < sources[j].Key() })
	p.countURLs(sources)
	p.claimNames(sources)
	for _, s := range sources {
		switch {
		case s.Deleted:
			p.deletedBy[s.Key()] = s
		case s.Ignored != "":
			p.live[s.Key()] = true
			p.source(s.Namespace, s.Name).Ignored = s.Ignored
		case s.Err != nil || s.File == nil:
			p.live[s.Key()] = true
			res := p.source(s.Namespace, s.Name)
			res.Invalid, res.Errs = true, append(res.Errs, invalidErr(s.Err))
		default:
			p.live[s.Key()] = true
			p.declare(ctx, r.names, pass, s)
		}
	}
	p.orphans()
	r.execute(ctx, p)
	p.res.Managed = len(p.markers) + p.delta
	return p.res
}

func invalidErr(err error) error {
	if err == nil {
		return errors.New("config.yaml: missing")
	}
	return err
}

// execute performs the planned writes: deletes first (freeing names), then
// updates and adoptions, then creates.
func (r *Reconciler) execute(ctx context.Context, p *plan) {
	g := &guard{check: r.cfg.Guard}
	for _, op := range []Op{OpDelete, OpUpdate, OpAdopt, OpCreate} {
		for _, key := range sortedKeys(p.res.Sources) {
			src := p.res.Sources[key]
			for _, a := range src.Actions {
				if a.Op == op {
					r.perform(ctx, g, p, key, a)
				}
			}
		}
	}
}

func (r *Reconciler) perform(ctx context.Context, g *guard, p *plan, key string, a *Action) {
	log := r.log.With("configmap", key, "op", a.Op, "test", a.TestName, "testId", a.TestID, "reason", a.Reason)
	if a.DryRun {
		log.Info("dry run: would write ThousandEyes test")
		return
	}
	if err := g.allow(ctx); err != nil {
		a.Err = fmt.Errorf("%s %q: not attempted: %w", a.Op, a.TestName, err)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.WriteTimeout)
	defer cancel()
	a.Err = r.write(wctx, a)
	if a.Err != nil {
		log.Warn("ThousandEyes write failed", "err", a.Err)
		return
	}
	switch a.Op {
	case OpCreate:
		p.delta++
	case OpDelete:
		p.delta--
	case OpAdopt:
		p.delta++
	}
	log.Info("wrote ThousandEyes test")
}

// guard refuses writes once the context ends or the check fails, and keeps
// refusing for the rest of the pass without calling the check again.
type guard struct {
	check   func(context.Context) error
	refused error
}

func (g *guard) allow(ctx context.Context) error {
	if g.refused != nil {
		return g.refused
	}
	g.refused = ctx.Err()
	if g.refused == nil && g.check != nil {
		g.refused = g.check(ctx)
	}
	return g.refused
}

func (r *Reconciler) write(ctx context.Context, a *Action) error {
	switch a.Op {
	case OpCreate:
		t, err := r.api.CreateHTTPServerTest(ctx, a.req)
		if err == nil {
			a.TestID = t.TestID
		}
		return err
	case OpUpdate, OpAdopt:
		_, err := r.api.UpdateHTTPServerTest(ctx, a.TestID, a.req)
		return err
	case OpDelete:
		err := r.api.DeleteHTTPServerTest(ctx, a.TestID)
		if client.IsNotFound(err) {
			return nil // already gone
		}
		return err
	}
	return fmt.Errorf("unknown op %q", a.Op)
}
