package gossip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/meshprobe/meshprobe/internal/logging"
)

// Mesh states reported by Status.
const (
	// StatusWaitingForKey: no usable key file yet; the member does not gossip.
	StatusWaitingForKey = "waiting-for-key"
	// StatusRunning: gossiping (possibly alone, while no seed answers).
	StatusRunning = "running"
	// StatusLeaving: leaving the mesh at shutdown.
	StatusLeaving = "leaving"
	// StatusStopped: Run has returned.
	StatusStopped = "stopped"
	// StatusFailed: the member could not start (for example, the port is taken).
	StatusFailed = "failed"
)

// Status is the member's own state, for /readyz and logs.
type Status struct {
	State string `json:"state"`
	// Detail explains the state, e.g. why the key file is not usable.
	Detail string `json:"detail,omitempty"`
	// Members counts the live members including this one (0 before gossiping).
	Members int `json:"members"`
	// Alone is true while gossiping with no peer (no seed answered yet).
	Alone bool `json:"alone"`
}

// Ready reports whether the member is gossiping.
func (s Status) Ready() bool { return s.State == StatusRunning }

// Mesh is one gossip member. Create it with New, run it with Run; every other
// method is safe for concurrent use at any time, before, during and after Run.
type Mesh struct {
	cfg   Config
	log   *slog.Logger
	stats *stats

	mu        sync.RWMutex
	ml        *memberlist.Memberlist
	transport *Transport
	keyring   *memberlist.Keyring
	keyHash   [32]byte
	meta      Meta
	metaBytes []byte
	selfAddr  netip.AddrPort
	state     string
	detail    string
	// invalidMeta counts metadata announcements refused by DecodeMeta.
	invalidMeta atomic.Uint64
	// wire writes and reads metadata and echo packets; versions counts what it
	// refused for its format version.
	wire     *wireCodec
	versions *versionRefusals
	// digest holds the digest source and receiver (digest.go).
	digest digestState
	// coords is the Vivaldi coordinate state (coordinate*.go).
	coords *coordinates
}

// New validates cfg and registers the metrics collector with cfg.Registerer. The
// member does nothing until Run.
func New(cfg Config) (*Mesh, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Mesh{
		cfg:   cfg,
		log:   cfg.Logger.With("component", "gossip"),
		stats: newStats(newLabeler(&cfg)),
		meta:  cfg.Meta,
		state: StatusWaitingForKey,
		wire:  cfg.wire,
	}
	if m.wire == nil {
		m.wire = currentWire()
	}
	m.versions = newVersionRefusals(m.log, time.Now)
	coords, err := newCoordinates(m.log, cfg.noCoordinates, cfg.EchoInterval <= 0, m.stats.isLive)
	if err != nil {
		return nil, err
	}
	m.coords = coords
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(newCollector(m)); err != nil {
			return nil, fmt.Errorf("gossip: registering metrics: %w", err)
		}
		if err := cfg.Registerer.Register(newGuardCollector(m)); err != nil {
			return nil, fmt.Errorf("gossip: registering metrics: %w", err)
		}
		if err := cfg.Registerer.Register(newCoordCollector(m.coords)); err != nil {
			return nil, fmt.Errorf("gossip: registering metrics: %w", err)
		}
		if err := cfg.Registerer.Register(newDigestCollector(&m.digest.metrics)); err != nil {
			return nil, fmt.Errorf("gossip: registering metrics: %w", err)
		}
	}
	return m, nil
}

// Run waits for the key file, starts gossiping, joins the seeds (retrying with
// backoff while alone), reloads the key file and probes RTT until ctx ends; then
// it leaves the mesh gracefully (within LeaveTimeout) and returns. It returns an
// error only when the member cannot start.
func (m *Mesh) Run(ctx context.Context) error {
	keys, ok := m.waitForKeys(ctx)
	if !ok {
		m.setState(StatusStopped, "")
		return nil
	}
	if err := m.start(keys); err != nil {
		m.setState(StatusFailed, err.Error())
		return err
	}
	var wg sync.WaitGroup
	runCtx, cancel := context.WithCancel(ctx)
	wg.Go(func() { m.watchKeys(runCtx) })
	wg.Go(func() { m.joinLoop(runCtx) })
	wg.Go(func() { m.pruneLoop(runCtx) })
	wg.Go(func() { m.digestLoop(runCtx) })
	if p := m.newProber(); p != nil {
		wg.Go(func() { p.run(runCtx) })
	}
	<-ctx.Done()
	cancel()
	wg.Wait()
	return m.stop()
}

// start creates the transport and the memberlist member.
func (m *Mesh) start(keys Keys) error {
	ring, err := memberlist.NewKeyring(keys, keys.Primary())
	if err != nil {
		return fmt.Errorf("gossip: building keyring: %w", err)
	}
	tr, err := NewTransport(TransportConfig{BindAddr: m.cfg.BindAddr, BindPort: m.cfg.BindPort, Logger: m.log, Keys: m.keys, delay: m.cfg.linkDelay, wire: m.wire})
	if err != nil {
		return err
	}
	ip, port, err := tr.FinalAdvertiseAddr(m.cfg.AdvertiseAddr, tr.Port())
	if err != nil {
		_ = tr.Shutdown()
		return err
	}
	addr, _ := netip.AddrFromSlice(ip)
	m.mu.Lock()
	m.transport, m.keyring, m.selfAddr = tr, ring, netip.AddrPortFrom(addr.Unmap(), uint16(port))
	m.meta.Keys = keys.Fingerprints()
	m.encodeMetaLocked()
	m.mu.Unlock()

	mc := m.cfg.memberlistConfig()
	mc.Transport, mc.Keyring = tr, ring
	mc.AdvertiseAddr, mc.AdvertisePort = ip.String(), port
	mc.BindPort = port
	mc.Delegate, mc.Events, mc.Ping = delegate{m}, events{m}, pings{m}
	mc.Logger = logging.StdLogger(m.log.With("component", "memberlist"))
	if m.cfg.tune != nil {
		m.cfg.tune(mc)
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		_ = tr.Shutdown()
		return fmt.Errorf("gossip: starting memberlist: %w", err)
	}
	m.mu.Lock()
	m.ml = ml
	m.mu.Unlock()
	m.setState(StatusRunning, "")
	m.log.Info("gossip: member started", "name", m.cfg.Name, "addr", m.selfAddr.String(), "keys", len(keys), "primaryKey", Fingerprint(keys.Primary()))
	return nil
}

// stop leaves the mesh and shuts memberlist down.
func (m *Mesh) stop() error {
	m.setState(StatusLeaving, "")
	m.mu.RLock()
	ml := m.ml
	m.mu.RUnlock()
	var errs []error
	m.mu.Lock()
	m.meta.Leaving = true
	m.encodeMetaLocked()
	m.mu.Unlock()
	if err := ml.UpdateNode(m.cfg.LeaveTimeout / 2); err != nil {
		m.log.Debug("gossip: announcing the leave failed", "err", err)
	} else {
		time.Sleep(leaveSpread(ml.NumMembers(), m.cfg))
	}
	if err := leave(ml, m.cfg.LeaveTimeout); err != nil {
		errs = append(errs, fmt.Errorf("gossip: leaving: %w", err))
	}
	if err := ml.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("gossip: shutting down: %w", err))
	}
	m.setState(StatusStopped, "")
	m.log.Info("gossip: member left the mesh", "name", m.cfg.Name)
	return errors.Join(errs...)
}

func (m *Mesh) setState(state, detail string) {
	m.mu.Lock()
	m.state, m.detail = state, detail
	m.mu.Unlock()
}

// Status returns the member's own state.
func (m *Mesh) Status() Status {
	m.mu.RLock()
	st := Status{State: m.state, Detail: m.detail}
	m.mu.RUnlock()
	if st.State == StatusRunning || st.State == StatusLeaving {
		peers := m.stats.numPeers()
		st.Members, st.Alone = peers+1, peers == 0
	}
	return st
}

// LocalName returns this member's name.
func (m *Mesh) LocalName() string { return m.cfg.Name }

// LocalMeta returns the metadata this member announces.
func (m *Mesh) LocalMeta() Meta {
	m.mu.RLock()
	defer m.mu.RUnlock()
	meta := m.meta
	meta.Keys = append([]string(nil), meta.Keys...)
	return meta
}

// Addr returns the advertised gossip address, invalid before Run starts gossiping.
func (m *Mesh) Addr() netip.AddrPort {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.selfAddr
}

// TransportStats returns the gossip UDP counters (zero before gossiping).
func (m *Mesh) TransportStats() TransportStats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.transport == nil {
		return TransportStats{}
	}
	return m.transport.Stats()
}

// UpdateMeta replaces the announced metadata (for example after the pod's labels
// changed) and broadcasts it; the key fingerprints are kept.
func (m *Mesh) UpdateMeta(meta Meta) {
	m.mu.Lock()
	meta.Keys = m.meta.Keys
	m.meta = meta
	m.encodeMetaLocked()
	m.mu.Unlock()
	m.stats.relabel(meta)
	m.broadcastMeta()
}

// encodeMetaLocked refreshes metaBytes from meta; the caller holds mu.
func (m *Mesh) encodeMetaLocked() {
	b, err := m.wire.encodeMeta(m.meta, MetaMaxSize)
	if err != nil {
		m.log.Error("gossip: metadata does not encode; keeping the previous", "err", err)
		return
	}
	m.metaBytes = b
}

// broadcastMeta tells the mesh about changed metadata.
func (m *Mesh) broadcastMeta() {
	m.mu.RLock()
	ml := m.ml
	m.mu.RUnlock()
	if ml == nil {
		return
	}
	if err := ml.UpdateNode(m.cfg.TCPTimeout); err != nil {
		m.log.Warn("gossip: broadcasting updated metadata failed", "err", err)
	}
}

// pruneLoop drops expired departed members and empty series.
func (m *Mesh) pruneLoop(ctx context.Context) {
	t := time.NewTicker(max(m.cfg.DepartedRetention/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.stats.prune(now, m.cfg.DepartedRetention)
		}
	}
}

// newProber builds the echo prober, nil when disabled.
func (m *Mesh) newProber() *prober {
	m.mu.RLock()
	tr := m.transport
	m.mu.RUnlock()
	if m.cfg.EchoInterval <= 0 {
		// Still answer the probes of others.
		tr.setEchoHandler(&echoHandler{keys: m.keys, onResponse: func(echoPacket, netip.AddrPort, time.Time) {}, unsupported: m.refuseEcho})
		return nil
	}
	p := &prober{
		self: m.cfg.Name, peers: m.cfg.EchoPeers, interval: m.cfg.EchoInterval, timeout: m.cfg.EchoTimeout,
		targets: m.stats.targets, send: tr.sendEcho, key: m.primaryKey, log: m.log,
		observe: func(peer string, rtt time.Duration) {
			m.stats.observe(peer, ProbeEcho, rtt, time.Now())
			m.coords.observeEcho(peer, rtt)
		},
		fail: m.stats.fail,
	}
	p.init()
	tr.setEchoHandler(&echoHandler{keys: m.keys, onResponse: p.onResponse, unsupported: m.refuseEcho})
	return p
}

// keys returns the keyring's keys, primary first (nil before gossiping).
func (m *Mesh) keys() [][]byte {
	m.mu.RLock()
	ring := m.keyring
	m.mu.RUnlock()
	if ring == nil {
		return nil
	}
	return ring.GetKeys()
}

func (m *Mesh) primaryKey() []byte {
	m.mu.RLock()
	ring := m.keyring
	m.mu.RUnlock()
	if ring == nil {
		return nil
	}
	return ring.GetPrimaryKey()
}

// hostPort joins an address for memberlist.
func hostPort(ap netip.AddrPort) string {
	return net.JoinHostPort(ap.Addr().String(), fmt.Sprint(ap.Port()))
}

// memberlist returns the running memberlist member, nil before Run starts it.
func (m *Mesh) memberlist() *memberlist.Memberlist {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ml
}

// leave runs memberlist's Leave, which panics when the member was already shut
// down; that is reported as an error instead.
func leave(ml *memberlist.Memberlist, timeout time.Duration) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("member already shut down: %v", r)
		}
	}()
	return ml.Leave(timeout)
}
