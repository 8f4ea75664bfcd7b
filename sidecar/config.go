package sidecar

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/logging"
)

// Environment variables the sidecar reads beyond those injection always sets
// (see internal/contract): tuning knobs the webhook config may pass through.
const (
	EnvGossipBindAddr = "MESHPROBE_GOSSIP_BIND_ADDR"
	EnvHTTPAddr       = "MESHPROBE_HTTP_ADDR"
	EnvLogFormat      = "MESHPROBE_LOG_FORMAT"
	// The knobs the meshprobe.io/sidecar settings set are named once, in
	// internal/contract, which the webhook writes from.
	EnvRTTInterval      = contract.EnvRTTInterval
	EnvRTTPeers         = contract.EnvRTTPeers
	EnvRTTTimeout       = contract.EnvRTTTimeout
	EnvRTTPeerPodLabels = contract.EnvRTTPeerPodLabels
	EnvLogLevel         = contract.EnvLogLevel
	// EnvRTTPeerNamespaces, EnvRTTPeerLabels and EnvRTTPeerLabelLimit shape the
	// RTT series' labels (gossip/README.md, Metrics).
	EnvRTTPeerNamespaces = "MESHPROBE_RTT_PEER_NAMESPACES"
	EnvRTTPeerLabels     = "MESHPROBE_RTT_PEER_LABELS"
	EnvRTTPeerLabelLimit = "MESHPROBE_RTT_PEER_LABEL_LIMIT"
	// EnvMembersView is what /api/v1/members shows (MembersView).
	EnvMembersView = "MESHPROBE_MEMBERS_VIEW"
	// EnvMode selects the Mode; EnvChecksFile is an agent's checks file.
	EnvMode       = "MESHPROBE_MODE"
	EnvChecksFile = "MESHPROBE_CHECKS_FILE"
	// EnvDigestInterval is how often the member sends its digest to the
	// control plane (DigestInterval).
	EnvDigestInterval = "MESHPROBE_DIGEST_INTERVAL"
)

// Config is the sidecar's configuration: from the environment the injected pod
// spec sets, each value overridable by a flag of the same meaning.
type Config struct {
	// Mode is ModeSidecar (injected into an app's pod) or ModeAgent (a node
	// agent of the meshprobe-agent DaemonSet).
	Mode Mode
	// ChecksFile is where an agent reads its checks (agent mode only; default
	// DefaultAgentChecksFile). A missing file means no checks.
	ChecksFile string

	PodName, PodNamespace, PodIP, PodUID, NodeName string
	OwnerKind, OwnerName                           string

	GossipJoin     []string
	GossipBindAddr string
	GossipPort     int
	GossipKeyDir   string
	HTTPAddr       string
	HTTPPort       int
	PodInfoDir     string
	// MembersView is what /api/v1/members shows; default MembersViewNamespace.
	MembersView MembersView

	RTTInterval time.Duration
	RTTPeers    int
	RTTTimeout  time.Duration
	// RTTPeerPodLabels (deprecated) is RTTPeerLabels peer_app, peer_node and
	// peer_pod: the detailed labels of before the series were bounded.
	RTTPeerPodLabels bool
	// RTTPeerNamespaces are the namespaces the pod depends on: named in the RTT
	// series' peer_namespace (others are "_other").
	RTTPeerNamespaces []string
	// RTTPeerLabels and RTTPeerLabelLimit: opt-in detailed peer labels, capped.
	RTTPeerLabels     []string
	RTTPeerLabelLimit int
	// DigestInterval is how often the member sends its digest (its checks and
	// echo RTT) to each control-plane member; 0 disables it.
	DigestInterval time.Duration

	// PollInterval is how often the podinfo files are re-read.
	PollInterval time.Duration
	// ShutdownTimeout bounds the graceful leave plus the HTTP server shutdown.
	ShutdownTimeout time.Duration

	Log logging.Config
}

// LoadConfig reads the configuration from getenv, then args (flags override env).
func LoadConfig(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	env := envReader{getenv: getenv}
	hostname, _ := os.Hostname()
	var c Config
	var join, peerNamespaces, peerLabels, membersView, mode string
	fs := flag.NewFlagSet("meshprobe-sidecar", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&mode, "mode", env.str(EnvMode, string(ModeSidecar)), "sidecar (injected into an app's pod) or agent (a node agent of the meshprobe-agent DaemonSet) ($"+EnvMode+")")
	fs.StringVar(&c.ChecksFile, "checks-file", env.str(EnvChecksFile, ""), "agent mode: the checks file (the annotation's schema), re-read on change; missing means no checks (default "+DefaultAgentChecksFile+") ($"+EnvChecksFile+")")
	fs.StringVar(&c.PodName, "pod-name", env.str(contract.EnvPodName, hostname), "pod name ($"+contract.EnvPodName+")")
	fs.StringVar(&c.PodNamespace, "pod-namespace", env.str(contract.EnvPodNamespace, "default"), "pod namespace ($"+contract.EnvPodNamespace+")")
	fs.StringVar(&c.PodIP, "pod-ip", env.str(contract.EnvPodIP, ""), "pod IP, advertised to gossip peers; empty: the first non-loopback address ($"+contract.EnvPodIP+")")
	fs.StringVar(&c.PodUID, "pod-uid", env.str(contract.EnvPodUID, ""), "pod UID, part of the member name ($"+contract.EnvPodUID+")")
	fs.StringVar(&c.NodeName, "node-name", env.str(contract.EnvNodeName, ""), "node name ($"+contract.EnvNodeName+")")
	fs.StringVar(&c.OwnerKind, "owner-kind", env.str(contract.EnvOwnerKind, ""), "owner kind: Deployment, StatefulSet, DaemonSet or empty ($"+contract.EnvOwnerKind+")")
	fs.StringVar(&c.OwnerName, "owner-name", env.str(contract.EnvOwnerName, ""), "owner name ($"+contract.EnvOwnerName+")")
	fs.StringVar(&join, "gossip-join", env.str(contract.EnvGossipJoin, defaultJoin()), "comma-separated host:port seeds to join; host names resolve to every address ($"+contract.EnvGossipJoin+")")
	fs.StringVar(&c.GossipBindAddr, "gossip-bind-addr", env.str(EnvGossipBindAddr, "0.0.0.0"), "gossip listen address ($"+EnvGossipBindAddr+")")
	fs.IntVar(&c.GossipPort, "gossip-port", env.int(contract.EnvGossipPort, contract.DefaultGossipPort), "gossip TCP and UDP port ($"+contract.EnvGossipPort+")")
	fs.StringVar(&c.GossipKeyDir, "gossip-key-dir", env.str(contract.EnvGossipKeyDir, contract.DefaultGossipKeyDir), "directory of the mounted gossip-key Secret, holding the file \"keys\" ($"+contract.EnvGossipKeyDir+")")
	fs.StringVar(&c.HTTPAddr, "http-addr", env.str(EnvHTTPAddr, ""), "HTTP listen address, empty for all ($"+EnvHTTPAddr+")")
	fs.IntVar(&c.HTTPPort, "http-port", env.int(contract.EnvHTTPPort, contract.DefaultHTTPPort), "HTTP port for /metrics, /healthz, /readyz and /api/v1 ($"+contract.EnvHTTPPort+")")
	fs.StringVar(&membersView, "members-view", env.str(EnvMembersView, string(MembersViewNamespace)), "what /api/v1/members shows: namespace (the pod's namespace without key fingerprints, counts for the rest), all (every member with its keys) or off ($"+EnvMembersView+")")
	fs.StringVar(&c.PodInfoDir, "podinfo-dir", env.str(contract.EnvPodInfoDir, contract.DefaultPodInfoDir), "Downward API directory with the files labels and annotations ($"+contract.EnvPodInfoDir+")")
	fs.DurationVar(&c.RTTInterval, "rtt-interval", env.duration(EnvRTTInterval, time.Second), "mean time between active RTT probe rounds; 0 disables the echo prober ($"+EnvRTTInterval+")")
	fs.IntVar(&c.RTTPeers, "rtt-peers", env.int(EnvRTTPeers, 3), "peers probed per RTT round ($"+EnvRTTPeers+")")
	fs.DurationVar(&c.RTTTimeout, "rtt-timeout", env.duration(EnvRTTTimeout, time.Second), "RTT probe timeout ($"+EnvRTTTimeout+")")
	fs.BoolVar(&c.RTTPeerPodLabels, "rtt-peer-pod-labels", env.bool(EnvRTTPeerPodLabels, false), "deprecated: the same as --rtt-peer-labels=peer_app,peer_node,peer_pod ($"+EnvRTTPeerPodLabels+")")
	fs.StringVar(&peerNamespaces, "rtt-peer-namespaces", env.str(EnvRTTPeerNamespaces, ""), "comma-separated namespaces the pod depends on, named in the RTT series' peer_namespace; peers elsewhere are \"_other\" ($"+EnvRTTPeerNamespaces+")")
	fs.StringVar(&peerLabels, "rtt-peer-labels", env.str(EnvRTTPeerLabels, ""), "comma-separated detailed peer labels for the RTT series: peer_app, peer_node, peer_pod (series grow with the mesh, up to --rtt-peer-label-limit) ($"+EnvRTTPeerLabels+")")
	fs.IntVar(&c.RTTPeerLabelLimit, "rtt-peer-label-limit", env.int(EnvRTTPeerLabelLimit, gossip.DefaultPeerLabelLimit), "at most this many distinct values of the detailed peer labels; further peers get \"_overflow\" ($"+EnvRTTPeerLabelLimit+")")
	fs.DurationVar(&c.DigestInterval, "digest-interval", env.duration(EnvDigestInterval, gossip.DefaultDigestInterval), "mean time between the digests (checks and echo RTT) this member sends to each control-plane member; 0 disables them ($"+EnvDigestInterval+")")
	fs.DurationVar(&c.PollInterval, "podinfo-poll-interval", 2*time.Second, "how often the podinfo files are re-read")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "budget for leaving the mesh and stopping the HTTP server on SIGTERM")
	c.Log.RegisterFlags(fs)
	c.Log.Format = env.str(EnvLogFormat, c.Log.Format)
	c.Log.Level = env.str(EnvLogLevel, c.Log.Level)
	if err := env.err(); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("sidecar: unexpected arguments %q", fs.Args())
	}
	c.Mode = Mode(mode)
	c.applyModeDefaults()
	c.GossipJoin = splitList(join)
	c.MembersView = MembersView(membersView)
	c.RTTPeerNamespaces, c.RTTPeerLabels = splitList(peerNamespaces), splitList(peerLabels)
	if c.RTTPeerPodLabels {
		c.RTTPeerLabels = []string{gossip.PeerLabelApp, gossip.PeerLabelNode, gossip.PeerLabelPod}
	}
	return c, c.validate()
}

func defaultJoin() string {
	return fmt.Sprintf("%s.%s.svc:%d", contract.GossipServiceName, contract.DefaultNamespace, contract.DefaultGossipPort)
}

func (c Config) validate() error {
	errs := c.modeErrors()
	if c.PodName == "" || c.PodNamespace == "" {
		errs = append(errs, errors.New("pod name and namespace are required ("+contract.EnvPodName+", "+contract.EnvPodNamespace+")"))
	}
	for _, p := range []struct {
		name string
		port int
	}{{"gossip port", c.GossipPort}, {"HTTP port", c.HTTPPort}} {
		if p.port < 0 || p.port > 65535 {
			errs = append(errs, fmt.Errorf("%s %d out of range", p.name, p.port))
		}
	}
	if c.RTTInterval < 0 || c.RTTPeers < 1 || c.RTTTimeout <= 0 {
		errs = append(errs, errors.New("rtt-interval must not be negative, rtt-peers and rtt-timeout must be positive"))
	}
	if c.DigestInterval < 0 {
		errs = append(errs, errors.New("digest-interval must not be negative"))
	}
	if _, err := parseMembersView(string(c.MembersView)); err != nil {
		errs = append(errs, err)
	}
	if c.PollInterval <= 0 || c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("podinfo-poll-interval and shutdown-timeout must be positive"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sidecar: config: %w", err)
	}
	return nil
}

// KeyFile is the gossip key file inside GossipKeyDir.
func (c Config) KeyFile() string { return filepath.Join(c.GossipKeyDir, contract.GossipKeySecretKey) }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// envReader reads typed env values, remembering the first malformed one.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (e *envReader) str(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func (e *envReader) int(name string, def int) int {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("$%s=%q: not an integer", name, v))
		return def
	}
	return n
}

func (e *envReader) duration(name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("$%s=%q: not a duration (like 1s or 500ms)", name, v))
		return def
	}
	return d
}

func (e *envReader) bool(name string, def bool) bool {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("$%s=%q: not a boolean", name, v))
		return def
	}
	return b
}

func (e *envReader) err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("sidecar: config: %w", errors.Join(e.errs...))
}
