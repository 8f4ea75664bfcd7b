package meshview

import (
	"time"

	"github.com/meshprobe/meshprobe/gossip"
)

// The digest and coordinate types of package gossip, under short names.
type (
	// Digest is what one member sends the control plane every DigestInterval.
	Digest = gossip.Digest
	// CheckDigest is one check's latest state in a digest.
	CheckDigest = gossip.CheckDigest
	// PeerRTT is one RTT the sender measured to a peer it probes.
	PeerRTT = gossip.PeerRTT
	// Coordinate is a Vivaldi network coordinate.
	Coordinate = gossip.Coordinate
)

// estimateRTT is the RTT two coordinates predict.
func estimateRTT(a, b *Coordinate) time.Duration { return gossip.EstimateRTT(a, b) }
