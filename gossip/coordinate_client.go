package gossip

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/serf/coordinate"
)

// maxCachedCoordinates bounds the per-peer coordinate cache: meshprobe's
// largest supported mesh (README "The frame bound").
const maxCachedCoordinates = 10_000

// coordinates is a member's Vivaldi state: the library's client (its own
// coordinate) and the latest coordinate of each peer. Entries go when their
// member leaves the local view. Safe for concurrent use.
type coordinates struct {
	client *coordinate.Client
	log    *slog.Logger
	// off: a member of a release before coordinates (tests): no payload sent,
	// payloads ignored.
	off bool
	// swimRTT: the SWIM probes' RTTs update the coordinate (echo disabled);
	// otherwise the echo prober's do.
	swimRTT bool
	// live reports whether a peer is a member this one lists.
	live func(name string) bool

	mu      sync.RWMutex
	peers   map[string]*Coordinate
	updated bool
	refused map[string]*atomic.Uint64
}

func newCoordinates(log *slog.Logger, off, swimRTT bool, live func(string) bool) (*coordinates, error) {
	cfg := coordinate.DefaultConfig()
	cfg.Dimensionality = CoordinateDimensions
	client, err := coordinate.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("gossip: creating the coordinate client: %w", err)
	}
	c := &coordinates{client: client, log: log, off: off, swimRTT: swimRTT, live: live,
		peers: map[string]*Coordinate{}, refused: map[string]*atomic.Uint64{}}
	for _, r := range coordRefusedReasons {
		c.refused[r] = new(atomic.Uint64)
	}
	return c, nil
}

// ackPayload returns this member's coordinate for its SWIM acks.
func (c *coordinates) ackPayload() []byte {
	if c.off {
		return nil
	}
	return encodeCoordinate(make([]byte, 0, coordinatePayloadLen), fromSerf(c.client.GetCoordinate()))
}

// observeAck caches the coordinate in a peer's SWIM ack payload and, when
// SWIM RTTs drive the coordinate, updates it with the probe's RTT. An empty
// payload (a release before coordinates) is skipped; anything else that does
// not validate is refused and counted.
func (c *coordinates) observeAck(peer string, payload []byte, rtt time.Duration) {
	if c.off || len(payload) == 0 || !c.live(peer) {
		return
	}
	coord, err := DecodeCoordinate(payload)
	if err == nil {
		err = c.cache(peer, coord)
	}
	if err == nil && c.swimRTT {
		err = c.update(peer, rtt)
	}
	if err != nil {
		c.refuse(err, peer)
	}
}

// observeEcho updates this member's coordinate with an echo RTT to a peer and
// the peer's latest coordinate, when echo RTTs drive the coordinate and the
// peer sent one.
func (c *coordinates) observeEcho(peer string, rtt time.Duration) {
	if c.off || c.swimRTT {
		return
	}
	if err := c.update(peer, rtt); err != nil {
		c.refuse(err, peer)
	}
}

// cache keeps a peer's latest coordinate, within maxCachedCoordinates peers.
func (c *coordinates) cache(peer string, coord *Coordinate) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.peers[peer]; !ok && len(c.peers) >= maxCachedCoordinates {
		return &coordError{CoordRefusedCapacity, fmt.Sprintf("%d peers cached", len(c.peers))}
	}
	c.peers[peer] = coord
	return nil
}

// update feeds the library's client with an RTT to a peer whose coordinate is
// cached; without one it does nothing.
func (c *coordinates) update(peer string, rtt time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	coord, ok := c.peers[peer]
	if !ok {
		return nil
	}
	if _, err := c.client.Update(peer, coord.serf(), rtt); err != nil {
		return &coordError{CoordRefusedUpdate, err.Error()}
	}
	c.updated = true
	return nil
}

func (c *coordinates) refuse(err error, peer string) {
	reason := refusedReason(err)
	if n, ok := c.refused[reason]; ok {
		n.Add(1)
	}
	c.log.Debug("gossip: peer coordinate refused", "peer", peer, "reason", reason, "err", err)
}

// forget drops a peer that left the local view.
func (c *coordinates) forget(peer string) {
	c.mu.Lock()
	delete(c.peers, peer)
	c.mu.Unlock()
	c.client.ForgetNode(peer)
}

// local returns this member's coordinate, nil before its first update.
func (c *coordinates) local() *Coordinate {
	c.mu.RLock()
	updated := c.updated
	c.mu.RUnlock()
	if !updated {
		return nil
	}
	return fromSerf(c.client.GetCoordinate())
}

// localError returns the error estimate of this member's coordinate.
func (c *coordinates) localError() float64 { return c.client.GetCoordinate().Error }

// peer returns a copy of a peer's latest coordinate.
func (c *coordinates) peer(name string) (*Coordinate, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.peers[name]
	if !ok {
		return nil, false
	}
	return p.clone(), true
}

// refusedCount returns the refusals of one reason.
func (c *coordinates) refusedCount(reason string) uint64 { return c.refused[reason].Load() }

// isLive reports whether name is a live peer.
func (s *stats) isLive(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.peers[name]
	return ok
}
