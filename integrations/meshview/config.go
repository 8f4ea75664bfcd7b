package meshview

import (
	"errors"
	"time"

	"k8s.io/utils/clock"

	"github.com/meshprobe/meshprobe/gossip"
)

// StoreConfig bounds what the Store keeps. DefaultStoreConfig documents each
// default.
type StoreConfig struct {
	// History is how many results the Store keeps per check (a ring). Default 10.
	History int
	// GoneRetention is how long a member that left the membership (dead, left
	// or forgotten by memberlist) stays listed, with its last digest. Default 10m.
	GoneRetention time.Duration
	// MaxMembers bounds the members kept, gone ones included: digests of new
	// members beyond it are dropped and counted. Default 20000, twice
	// meshprobe's largest supported mesh.
	MaxMembers int
	// MaxChecks bounds the checks kept per member (a digest is already bounded
	// by its byte budget). Default 64.
	MaxChecks int
	// MaxPeerRTTs bounds the measured RTTs kept per member, the most recent
	// ones: a digest carries the latest few, the Store accumulates them over
	// the echo prober's cycle. Default 64.
	MaxPeerRTTs int
	// MeasuredMaxAge is how old a measured RTT may be and still be answered
	// as measured; older ones give way to the coordinates' estimate. Default 5m.
	MeasuredMaxAge time.Duration
	// DigestStaleAfter is how long after its last digest a sidecar or agent is
	// reported degraded with reason no-recent-digest (three digest intervals).
	// Default 30s.
	DigestStaleAfter time.Duration
	// Verify, when set, checks a member's claimed pod (memberverify.Check over
	// the pod cache): known is false while it cannot tell (the cache is not
	// filled yet), reason empty when the claim checks out. It is called on
	// Sync, once per listed member but the control plane's own.
	Verify func(m gossip.Member) (reason string, known bool)
	// Coords, when set, is a fallback source of members' coordinates for a
	// member whose digests carry none (Mesh.PeerCoordinate: what the
	// control plane's own probes of it returned).
	Coords func(member string) (*Coordinate, bool)
	// MaxMatrixNodes bounds the nodes of the node matrix (its cells grow with
	// their square); a larger matrix is refused with a message. Default 500.
	MaxMatrixNodes int
	// Clock is the Store's clock. Default clock.RealClock{}.
	Clock clock.PassiveClock
}

// DefaultStoreConfig returns the defaults.
func DefaultStoreConfig() StoreConfig {
	return StoreConfig{
		History: 10, GoneRetention: 10 * time.Minute, MaxMembers: 20000, MaxChecks: 64, MaxPeerRTTs: 64,
		MeasuredMaxAge: 5 * time.Minute, DigestStaleAfter: 30 * time.Second, MaxMatrixNodes: 500, Clock: clock.RealClock{},
	}
}

func (c StoreConfig) validate() error {
	switch {
	case c.History < 1 || c.History > 100:
		return errors.New("meshview: History must be 1 to 100")
	case c.MaxMembers < 1 || c.MaxChecks < 1 || c.MaxPeerRTTs < 1 || c.MaxMatrixNodes < 1:
		return errors.New("meshview: MaxMembers, MaxChecks, MaxPeerRTTs and MaxMatrixNodes must be positive")
	case c.GoneRetention <= 0 || c.MeasuredMaxAge <= 0 || c.DigestStaleAfter <= 0:
		return errors.New("meshview: GoneRetention, MeasuredMaxAge and DigestStaleAfter must be positive")
	case c.Clock == nil:
		return errors.New("meshview: nil Clock")
	}
	return nil
}
