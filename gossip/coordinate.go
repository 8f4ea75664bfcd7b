package gossip

import (
	"time"

	"github.com/hashicorp/serf/coordinate"
)

// Vivaldi network coordinates, as Serf and Consul compute them on top of
// memberlist: each member keeps a coordinate (hashicorp/serf/coordinate, the
// reference implementation memberlist users rely on) that it sends in the
// payload of its SWIM acks; a member that probes a peer updates its own
// coordinate from the peer's and the measured RTT. The distance between two
// coordinates estimates the RTT between their members, so O(N) state answers
// the RTT of any pair.

// Coordinate is a Vivaldi network coordinate, in seconds. It mirrors
// github.com/hashicorp/serf/coordinate.Coordinate: a Euclidean position (Vec, of
// CoordinateDimensions), a height (the member's own access delay), an
// adjustment (a non-Euclidean correction) and the error estimate of the whole
// (0 to 1.5, lower is better).
type Coordinate struct {
	Vec        []float64 `json:"vec"`
	Error      float64   `json:"error"`
	Adjustment float64   `json:"adjustment"`
	Height     float64   `json:"height"`
}

// CoordinateDimensions is the dimensionality of meshprobe's coordinates (Serf's).
const CoordinateDimensions = 8

// EstimateRTT returns the RTT between the members of two coordinates that
// their distance estimates; 0 when either is nil, invalid or of another
// dimensionality.
func EstimateRTT(a, b *Coordinate) time.Duration {
	if a == nil || b == nil || len(a.Vec) != len(b.Vec) {
		return 0
	}
	sa, sb := a.serf(), b.serf()
	if !sa.IsValid() || !sb.IsValid() {
		return 0
	}
	return sa.DistanceTo(sb)
}

// Coordinate returns this member's coordinate, nil until an RTT sample with a
// peer's coordinate has updated it.
func (m *Mesh) Coordinate() *Coordinate { return m.coords.local() }

// PeerCoordinate returns the latest coordinate a live peer sent, and whether
// there is one.
func (m *Mesh) PeerCoordinate(name string) (*Coordinate, bool) { return m.coords.peer(name) }

// serf converts to the library's type (a copy).
func (c *Coordinate) serf() *coordinate.Coordinate {
	return &coordinate.Coordinate{Vec: append([]float64(nil), c.Vec...), Error: c.Error, Adjustment: c.Adjustment, Height: c.Height}
}

// fromSerf converts from the library's type (a copy).
func fromSerf(c *coordinate.Coordinate) *Coordinate {
	return &Coordinate{Vec: append([]float64(nil), c.Vec...), Error: c.Error, Adjustment: c.Adjustment, Height: c.Height}
}

// clone returns a deep copy.
func (c *Coordinate) clone() *Coordinate {
	out := *c
	out.Vec = append([]float64(nil), c.Vec...)
	return &out
}
