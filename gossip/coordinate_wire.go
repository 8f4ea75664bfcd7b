package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The coordinate ack payload, version 1 (README "Wire formats and versions"):
//
//	byte 0     version (1)
//	byte 1     dimensionality n (8)
//	n+3 × 4    float32 big-endian: Vec[0..n), Error, Adjustment, Height
//	...        later fields, ignored (the whole payload at most maxCoordinatePayload)
//
// 46 bytes. An empty payload is a member of a release before coordinates.
const (
	coordinateVersion    = 1
	coordinateHeaderLen  = 2
	coordinatePayloadLen = coordinateHeaderLen + (CoordinateDimensions+3)*4
	// maxCoordinatePayload bounds what is read: room for later fields.
	maxCoordinatePayload = 256
	// maxCoordinateSeconds bounds every component: Serf refuses RTTs over 10 s,
	// so a coordinate further than that from the origin is absurd.
	maxCoordinateSeconds = 10.0
	// maxCoordinateError is Serf's VivaldiErrorMax: the error never grows past it.
	maxCoordinateError = 1.5
)

// Reasons a peer's coordinate is refused: the reason label of
// meshprobe_gossip_coordinate_refused_total.
const (
	CoordRefusedSize      = "size"      // over maxCoordinatePayload, or shorter than its fields
	CoordRefusedVersion   = "version"   // a version this member cannot read
	CoordRefusedDimension = "dimension" // not CoordinateDimensions
	CoordRefusedInvalid   = "invalid"   // NaN or infinity (the library's IsValid)
	CoordRefusedMagnitude = "magnitude" // a component out of range
	CoordRefusedCapacity  = "capacity"  // the per-peer cache is full
	CoordRefusedUpdate    = "update"    // the library refused the update (e.g. RTT over 10 s)
)

// coordRefusedReasons lists the reason label's values.
var coordRefusedReasons = []string{CoordRefusedSize, CoordRefusedVersion, CoordRefusedDimension,
	CoordRefusedInvalid, CoordRefusedMagnitude, CoordRefusedCapacity, CoordRefusedUpdate}

// coordError is a refused coordinate with its reason.
type coordError struct {
	reason string
	detail string
}

func (e *coordError) Error() string {
	return "gossip: coordinate refused: " + e.reason + ": " + e.detail
}

// refusedReason returns the reason of a coordError, "" for other errors.
func refusedReason(err error) string {
	if ce, ok := errors.AsType[*coordError](err); ok {
		return ce.reason
	}
	return ""
}

// encodeCoordinate appends c's version-1 payload to dst.
func encodeCoordinate(dst []byte, c *Coordinate) []byte {
	dst = append(dst, coordinateVersion, byte(len(c.Vec)))
	for _, f := range append(c.Vec[:len(c.Vec):len(c.Vec)], c.Error, c.Adjustment, c.Height) {
		dst = binary.BigEndian.AppendUint32(dst, math.Float32bits(float32(f)))
	}
	return dst
}

// DecodeCoordinate reads a coordinate ack payload: bounded, versioned and
// validated (finite, each component within range, the error within Serf's).
// Its errors name the refusal reason (CoordRefused*).
func DecodeCoordinate(b []byte) (*Coordinate, error) {
	switch {
	case len(b) > maxCoordinatePayload || len(b) < coordinateHeaderLen:
		return nil, &coordError{CoordRefusedSize, fmt.Sprintf("%d bytes", len(b))}
	case b[0] != coordinateVersion:
		return nil, &coordError{CoordRefusedVersion, fmt.Sprintf("version %d", b[0])}
	case b[1] != CoordinateDimensions:
		return nil, &coordError{CoordRefusedDimension, fmt.Sprintf("%d dimensions", b[1])}
	case len(b) < coordinatePayloadLen:
		return nil, &coordError{CoordRefusedSize, fmt.Sprintf("%d bytes", len(b))}
	}
	f := make([]float64, CoordinateDimensions+3)
	for i := range f {
		f[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(b[coordinateHeaderLen+4*i:])))
	}
	n := CoordinateDimensions
	c := &Coordinate{Vec: f[:n:n], Error: f[n], Adjustment: f[n+1], Height: f[n+2]}
	return c, validateCoordinate(c)
}

// validateCoordinate checks a peer's coordinate beyond what the payload's
// framing says.
func validateCoordinate(c *Coordinate) error {
	if !c.serf().IsValid() {
		return &coordError{CoordRefusedInvalid, "NaN or infinite component"}
	}
	var norm float64
	for _, v := range c.Vec {
		norm += v * v
	}
	switch {
	case math.Sqrt(norm) > maxCoordinateSeconds:
		return &coordError{CoordRefusedMagnitude, fmt.Sprintf("position %g s from the origin", math.Sqrt(norm))}
	case c.Error < 0 || c.Error > maxCoordinateError:
		return &coordError{CoordRefusedMagnitude, fmt.Sprintf("error %g", c.Error)}
	case math.Abs(c.Adjustment) > maxCoordinateSeconds:
		return &coordError{CoordRefusedMagnitude, fmt.Sprintf("adjustment %g s", c.Adjustment)}
	case c.Height < 0 || c.Height > maxCoordinateSeconds:
		return &coordError{CoordRefusedMagnitude, fmt.Sprintf("height %g s", c.Height)}
	}
	return nil
}
