package checks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// DefaultMaxConcurrent bounds how many check runs a Manager has in flight.
const DefaultMaxConcurrent = 64

// Config configures a Manager. The zero value is usable; DefaultConfig documents
// the defaults.
type Config struct {
	// Namespace, OwnerKind and OwnerName identify the pod's owner (from
	// POD_NAMESPACE, MESHPROBE_OWNER_KIND, MESHPROBE_OWNER_NAME). runOn: one
	// elects one runner among the live members with the same owner. An empty
	// OwnerKind means the pod has no owner and runs every check itself.
	Namespace, OwnerKind, OwnerName string
	// Node is the name of this member's node (from NODE_NAME). Checks whose
	// runOn is a node pattern run only where it matches; "" matches only the
	// patterns that select every node (*, $).
	Node string
	// MaxConcurrent bounds the check runs in flight (default DefaultMaxConcurrent).
	// A run holds its slot for at most its timeout, which is shorter than its
	// interval, so a hanging target delays others by at most that.
	MaxConcurrent int
	// LookupEnv reads the env vars named by bearerTokenEnv and
	// basicAuth.passwordEnv (default os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// ResolvConf is the file whose first nameserver dns checks use when they name
	// no resolver (default /etc/resolv.conf).
	ResolvConf string
	// Clock tells the time for timestamps and certificate expiry (default
	// clock.RealClock{}).
	Clock clock.PassiveClock
}

// DefaultConfig returns the configuration with every default filled in and no owner.
func DefaultConfig() Config {
	env := defaultProberEnv()
	return Config{MaxConcurrent: DefaultMaxConcurrent, LookupEnv: env.lookupEnv,
		ResolvConf: env.resolvConf, Clock: clock.RealClock{}}
}

// withDefaults fills unset fields.
func (o Config) withDefaults() Config {
	d := DefaultConfig()
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = d.MaxConcurrent
	}
	if o.LookupEnv == nil {
		o.LookupEnv = d.LookupEnv
	}
	if o.ResolvConf == "" {
		o.ResolvConf = d.ResolvConf
	}
	if o.Clock == nil {
		o.Clock = d.Clock
	}
	return o
}

// Manager runs a pod's checks and reloads them when the annotation changes.
// Reload, Run, Handler and metric collection are safe for concurrent use.
//
// Wiring in the sidecar:
//
//	m, err := checks.NewManager(cfg, mesh, logger, registry)
//	_ = m.Reload(currentAnnotation) // at start, "" when the pod has none
//	go m.Run(ctx)
//	mux.Handle("/api/v1/checks", m.Handler())
//	// and on every change of the podinfo annotations file:
//	_ = m.Reload(newAnnotation) // errors are logged and kept by the Manager
type Manager struct {
	logger   *slog.Logger
	cfg      Config
	env      proberEnv
	sched    *scheduler
	reloadOK prometheus.Gauge
	reloadMu sync.Mutex // serialises Reload

	mu        sync.Mutex
	runners   map[string]*runner // by check name
	order     []string           // check names in annotation order
	ctx       context.Context    // of Run; nil when not running
	lastError string             // of the last failed reload, "" after a good one
}

// NewManager returns a Manager with no checks; membership may be nil (then every
// check runs here). It registers the checks' metrics with reg.
func NewManager(cfg Config, membership Membership, logger *slog.Logger, reg prometheus.Registerer) (*Manager, error) {
	cfg = cfg.withDefaults()
	m := &Manager{
		logger:  logger.With("component", "checks"),
		cfg:     cfg,
		env:     proberEnv{lookupEnv: cfg.LookupEnv, resolvConf: cfg.ResolvConf, now: cfg.Clock.Now},
		runners: map[string]*runner{},
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "meshprobe_checks_config_last_reload_successful",
			Help: "1 if the last reload of the checks annotation succeeded (and before the first), 0 if it failed and the last good set still runs.",
		}),
	}
	m.sched = &scheduler{
		slots: make(chan struct{}, cfg.MaxConcurrent),
		election: election{membership: membership, namespace: cfg.Namespace, ownerKind: cfg.OwnerKind,
			ownerName: cfg.OwnerName, node: cfg.Node},
		logger: m.logger,
		now:    cfg.Clock.Now,
	}
	m.reloadOK.Set(1)
	for _, c := range []prometheus.Collector{m.reloadOK, newCollector(m.states, cfg.Clock.Now), infoCollector{m.states}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("checks: registering metrics: %w", err)
		}
	}
	return m, nil
}

// Reload parses annotation (the meshprobe.io/checks value) and, if it is valid,
// makes it the running set: checks whose spec is unchanged keep running (and
// keep their metrics), new and changed ones start, removed ones stop and their
// series vanish. If it is invalid, the last good set keeps running,
// meshprobe_checks_config_last_reload_successful becomes 0, the error is logged
// and returned, and /api/v1/checks reports it.
func (m *Manager) Reload(annotation string) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	specs, err := spec.Parse([]byte(annotation))
	var fresh map[string]*runner
	if err == nil {
		fresh, err = m.buildRunners(specs)
	}
	if err != nil {
		err = fmt.Errorf("loading checks: %w", err)
		m.mu.Lock()
		m.lastError = err.Error()
		m.mu.Unlock()
		m.reloadOK.Set(0)
		m.logger.Error("invalid checks annotation; keeping the last good checks", "err", err)
		return err
	}
	stopped := m.apply(specs, fresh)
	for _, r := range stopped {
		r.stop()
	}
	m.reloadOK.Set(1)
	m.logger.Info("checks loaded", "checks", len(specs), "stopped", len(stopped))
	return nil
}

// buildRunners makes a runner (not started) for every spec that is new or changed.
func (m *Manager) buildRunners(specs []spec.Check) (map[string]*runner, error) {
	m.mu.Lock()
	current := make(map[string]spec.Check, len(m.runners))
	for name, r := range m.runners {
		current[name] = r.spec
	}
	m.mu.Unlock()
	fresh := map[string]*runner{}
	var errs []error
	for _, s := range specs {
		if old, ok := current[s.Name]; ok && reflect.DeepEqual(old, s) {
			continue
		}
		p, err := newProbers[s.Type](s, m.env)
		if err != nil {
			errs = append(errs, &spec.Error{Name: s.Name, Problem: err.Error()})
			continue
		}
		fresh[s.Name] = &runner{spec: s, prober: p, state: newCheckState(s), sched: m.sched}
	}
	return fresh, errors.Join(errs...)
}

// apply swaps in the new set and returns the runners to stop (outside the lock).
func (m *Manager) apply(specs []spec.Check, fresh map[string]*runner) []*runner {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[string]*runner, len(specs))
	order := make([]string, 0, len(specs))
	for _, s := range specs {
		order = append(order, s.Name)
		if r, ok := fresh[s.Name]; ok {
			next[s.Name] = r
			if m.ctx != nil {
				r.start(m.ctx)
			}
			continue
		}
		next[s.Name] = m.runners[s.Name]
	}
	var stopped []*runner
	for name, r := range m.runners {
		if next[name] != r {
			stopped = append(stopped, r)
		}
	}
	m.runners, m.order, m.lastError = next, order, ""
	return stopped
}

// Run runs the checks until ctx is done, then stops them and returns nil. It
// returns an error if the Manager is already running.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.ctx != nil {
		m.mu.Unlock()
		return errors.New("checks: manager is already running")
	}
	m.ctx = ctx
	for _, r := range m.runners {
		r.start(ctx)
	}
	m.mu.Unlock()
	<-ctx.Done()
	m.mu.Lock()
	all := make([]*runner, 0, len(m.runners))
	for _, r := range m.runners {
		all = append(all, r)
	}
	m.ctx = nil
	m.mu.Unlock()
	for _, r := range all {
		r.stop()
	}
	return nil
}

// states returns the states of the configured checks, in annotation order.
func (m *Manager) states() []*checkState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*checkState, 0, len(m.order))
	for _, name := range m.order {
		out = append(out, m.runners[name].state)
	}
	return out
}

// Specs returns the checks of the running set, in annotation order.
func (m *Manager) Specs() []spec.Check {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]spec.Check, 0, len(m.order))
	for _, name := range m.order {
		out = append(out, m.runners[name].spec)
	}
	return slices.Clip(out)
}
