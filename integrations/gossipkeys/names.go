package gossipkeys

// Annotations the task writes on the source Secret (the rotation's state) and on
// the copies. The request annotation is contract.AnnotationRotateKey.
const (
	// AnnotationPhase is the rotation phase: PhaseStable, PhaseAdding or PhasePromoting.
	AnnotationPhase = "meshprobe.io/gossip-key-phase"
	// AnnotationNext is the fingerprint of the key being rotated in.
	AnnotationNext = "meshprobe.io/gossip-key-next"
	// AnnotationPhaseSince is when the current phase began (RFC 3339).
	AnnotationPhaseSince = "meshprobe.io/gossip-key-phase-since"
	// AnnotationPrimarySince is when the current primary key became primary; the
	// scheduled rotation counts from it (RFC 3339).
	AnnotationPrimarySince = "meshprobe.io/gossip-key-primary-since"
	// AnnotationRotateHandled is the last value of meshprobe.io/rotate-key that
	// started a rotation.
	AnnotationRotateHandled = "meshprobe.io/gossip-key-rotate-handled"
	// AnnotationSource, on a copy, names the source Secret (namespace/name).
	AnnotationSource = "meshprobe.io/gossip-key-source"
	// AnnotationPrimary, on the source and every copy, is the primary key's
	// fingerprint (see gossip.Fingerprint): which key a copy holds, without the key.
	AnnotationPrimary = "meshprobe.io/gossip-key-primary"
)

// Rotation phases.
const (
	// PhaseStable: one primary key (possibly with others the user added), no rotation.
	PhaseStable = "stable"
	// PhaseAdding: the new key was appended; waiting until every member holds it.
	PhaseAdding = "adding"
	// PhasePromoting: the new key is primary, the old one kept; waiting until every
	// member uses the new key as primary.
	PhasePromoting = "promoting"
)

// Event reasons, on the source Secret unless said otherwise.
const (
	ReasonKeyCreated      = "GossipKeyCreated"
	ReasonRotationStarted = "GossipKeyRotationStarted"
	ReasonKeyPromoted     = "GossipKeyPromoted"
	ReasonKeyRotated      = "GossipKeyRotated"
	ReasonRotationWaiting = "GossipKeyRotationWaiting"
	ReasonRotationTimeout = "GossipKeyRotationTimeout"
	ReasonRotationReset   = "GossipKeyRotationReset"
	ReasonInvalidKey      = "InvalidGossipKey"
	ReasonCopyConflict    = "GossipKeyCopyConflict" // on the namespace
	eventComponent        = "meshprobe-gossip-keys"
	copyLabelValue        = "true"
	maxBlockersInMessage  = 10
)
