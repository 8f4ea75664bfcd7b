package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Config configures a Mesh. Start from DefaultConfig; every field is documented
// there with its default.
type Config struct {
	// Name is the member's unique name; see MemberName. Required.
	Name string
	// Meta is what the member announces; the Mesh fills in Meta.Keys.
	Meta Meta

	// BindAddr and BindPort are where the gossip TCP and UDP sockets listen.
	// BindPort 0 picks a free port (tests).
	BindAddr string
	BindPort int
	// AdvertiseAddr is the address other members reach this one at (the pod IP).
	// Empty means the bind address, or the first non-loopback interface address
	// when binding to all addresses.
	AdvertiseAddr string

	// Join lists the seeds, "host:port" each; host names are resolved on every
	// attempt and every address they resolve to is tried.
	Join []string
	// JoinBackoffMin and JoinBackoffMax bound the exponential backoff between
	// join attempts while the member is alone.
	JoinBackoffMin, JoinBackoffMax time.Duration
	// ReconnectInterval is how often the member tries to rejoin one recently
	// failed (not departed) member, which heals partitions that outlive
	// memberlist's own gossip to the dead.
	ReconnectInterval time.Duration
	// DepartedRetention is how long failed and departed members stay listed
	// (state dead or left) in Members and meshprobe_gossip_members.
	DepartedRetention time.Duration

	// KeyFile is the gossip key file (one base64 key per line, primary first).
	// Required: the member never gossips unencrypted, it waits for this file.
	KeyFile string
	// KeyPollInterval is how often KeyFile is re-read for changes.
	KeyPollInterval time.Duration

	// ProbeInterval, ProbeTimeout, GossipInterval, SuspicionMult, PushPullInterval
	// and TCPTimeout tune memberlist's SWIM failure detector and gossip.
	ProbeInterval    time.Duration
	ProbeTimeout     time.Duration
	GossipInterval   time.Duration
	SuspicionMult    int
	PushPullInterval time.Duration
	TCPTimeout       time.Duration
	// LeaveTimeout bounds the graceful leave broadcast at shutdown.
	LeaveTimeout time.Duration

	// EchoInterval is the mean time between active RTT probe rounds (each round is
	// jittered by ±20%). Zero disables the active prober; RTT then comes from SWIM
	// probes only.
	EchoInterval time.Duration
	// EchoPeers is how many peers each round probes. Per-member cost is
	// EchoPeers/EchoInterval probes per second, whatever the mesh size.
	EchoPeers int
	// EchoTimeout is how long a probe waits for its echo before it counts as a
	// failure.
	EchoTimeout time.Duration

	// DigestInterval is the mean time between two digests this member sends to
	// each alive control-plane member (jittered by ±10%), when it has a digest
	// source (Mesh.SetDigestSource). Zero disables sending.
	DigestInterval time.Duration

	// PeerNamespaces lists the namespaces, besides the member's own, that the RTT
	// and failure series name in peer_namespace (the namespaces the pod depends
	// on); peers in any other namespace count under PeerNamespaceOther. At most
	// MaxPeerNamespaces, each a namespace name.
	PeerNamespaces []string
	// PeerLabels adds detailed peer labels (PeerLabelApp, PeerLabelNode,
	// PeerLabelPod) to the RTT and failure series. None by default: they make the
	// series grow with the mesh, up to PeerLabelLimit.
	PeerLabels []string
	// PeerLabelLimit caps the distinct value combinations of PeerLabels one member
	// exports; peers beyond it get LabelOverflow in every detailed label.
	PeerLabelLimit int

	// Logger receives the Mesh's logs and memberlist's (at their own levels).
	Logger *slog.Logger
	// Registerer gets the gossip metrics collector; nil registers nothing.
	Registerer prometheus.Registerer

	// tune, when set (tests and benchmarks), adjusts the memberlist config last.
	tune func(*memberlist.Config)
	// linkDelay, when positive (tests), delays every UDP packet this member sends.
	linkDelay time.Duration
	// wire, when set (tests), is the codec of another release: a mixed-version mesh.
	wire *wireCodec
	// noCoordinates (tests) makes a member of a release before coordinates: its
	// acks carry no payload and it ignores the payloads of others.
	noCoordinates bool
}

// DefaultConfig returns the defaults: gossip on 0.0.0.0:7946; join the
// meshprobe-gossip Service in meshprobe-system; join backoff 1 s to 30 s; reconnect
// every 30 s; departed members listed for 1 minute; key file polled every 2 s;
// memberlist's LAN timings (probe every 1 s, timeout 500 ms, gossip every 200 ms,
// push/pull every 30 s) with suspicion multiplier 2 (memberlist's is 4: a failed
// member is declared dead sooner) and TCP timeout 5 s; leave within 5 s; an echo
// round every 1 s to 3 peers, 1 s timeout; a digest every 10 s; no declared peer
// namespaces and no detailed peer labels (their limit 64 when set).
func DefaultConfig() Config {
	return Config{
		BindAddr:          "0.0.0.0",
		BindPort:          contract.DefaultGossipPort,
		Join:              []string{fmt.Sprintf("%s.%s.svc:%d", contract.GossipServiceName, contract.DefaultNamespace, contract.DefaultGossipPort)},
		JoinBackoffMin:    time.Second,
		JoinBackoffMax:    30 * time.Second,
		ReconnectInterval: 30 * time.Second,
		DepartedRetention: time.Minute,
		KeyPollInterval:   2 * time.Second,
		ProbeInterval:     time.Second,
		ProbeTimeout:      500 * time.Millisecond,
		GossipInterval:    200 * time.Millisecond,
		SuspicionMult:     2,
		PushPullInterval:  30 * time.Second,
		TCPTimeout:        5 * time.Second,
		LeaveTimeout:      5 * time.Second,
		EchoInterval:      time.Second,
		EchoPeers:         3,
		EchoTimeout:       time.Second,
		DigestInterval:    DefaultDigestInterval,
		PeerLabelLimit:    DefaultPeerLabelLimit,
	}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("gossip: config: Name is required")
	case c.KeyFile == "":
		return errors.New("gossip: config: KeyFile is required (gossip is always encrypted)")
	case c.BindPort < 0 || c.BindPort > 65535:
		return fmt.Errorf("gossip: config: BindPort %d out of range", c.BindPort)
	case c.ProbeInterval <= 0 || c.ProbeTimeout <= 0 || c.GossipInterval <= 0 || c.PushPullInterval <= 0 || c.TCPTimeout <= 0:
		return errors.New("gossip: config: memberlist intervals and timeouts must be positive")
	case c.SuspicionMult < 1:
		return errors.New("gossip: config: SuspicionMult must be at least 1")
	case c.JoinBackoffMin <= 0 || c.JoinBackoffMax < c.JoinBackoffMin:
		return errors.New("gossip: config: JoinBackoffMin must be positive and at most JoinBackoffMax")
	case c.KeyPollInterval <= 0 || c.ReconnectInterval <= 0 || c.DepartedRetention <= 0 || c.LeaveTimeout <= 0:
		return errors.New("gossip: config: KeyPollInterval, ReconnectInterval, DepartedRetention and LeaveTimeout must be positive")
	case c.EchoInterval < 0 || (c.EchoInterval > 0 && (c.EchoPeers < 1 || c.EchoTimeout <= 0)):
		return errors.New("gossip: config: with EchoInterval set, EchoPeers and EchoTimeout must be positive")
	case c.DigestInterval < 0:
		return errors.New("gossip: config: DigestInterval must not be negative")
	}
	return validatePeerLabels(c)
}

// memberlistConfig builds memberlist's config from c.
func (c *Config) memberlistConfig() *memberlist.Config {
	mc := memberlist.DefaultLANConfig()
	mc.Name = c.Name
	mc.ProbeInterval = c.ProbeInterval
	mc.ProbeTimeout = c.ProbeTimeout
	mc.GossipInterval = c.GossipInterval
	mc.SuspicionMult = c.SuspicionMult
	mc.PushPullInterval = c.PushPullInterval
	mc.TCPTimeout = c.TCPTimeout
	mc.GossipToTheDeadTime = c.PushPullInterval
	// LZW compression allocates a large table per message: it was the top CPU
	// cost in the 200-member benchmark, for little gain on small gossip packets.
	// Compressed messages from other members are still understood.
	mc.EnableCompression = false
	mc.GossipVerifyIncoming = true
	mc.GossipVerifyOutgoing = true
	return mc
}
