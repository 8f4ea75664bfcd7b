package controlplane

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/meshprobe/meshprobe/integrations/clusterchecks"
	"github.com/meshprobe/meshprobe/integrations/gossipkeys"
	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/integrations/meshview"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes"
	"github.com/meshprobe/meshprobe/internal/buildinfo"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/logging"
	"github.com/meshprobe/meshprobe/webhook"
)

// options are the webhook's settings: flags, or the same names as keys of the
// --config file, with flags given on the command line winning.
type options struct {
	configFile      string
	certDir         string
	webhookHost     string
	webhookPort     int
	metricsAddr     string
	probeAddr       string
	kubeconfig      string
	namespace       string
	nativeSidecar   string
	strict          bool
	enableHTTP2     bool
	maxRequestBytes int64
	requestTimeout  time.Duration
	maxInFlight     int

	sidecarImage      string
	sidecarPullPolicy string
	sidecarCPUReq     string
	sidecarMemReq     string
	sidecarCPULim     string
	sidecarMemLim     string
	sidecarRunAsUser  int64
	gossipPort        int
	httpPort          int
	gossipJoin        string
	excludedNS        string
	sidecarDefaults   sidecarDefaultsOptions // sidecardefaults.go

	log logging.Config
	cp  controlPlaneOptions
}

// defaultNamespace is $POD_NAMESPACE, else meshprobe-system.
func defaultNamespace() string { return envOr(contract.EnvPodNamespace, contract.DefaultNamespace) }

// newFlagSet registers every option on a fresh FlagSet.
func newFlagSet(o *options, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("meshprobe-webhook", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.configFile, "config", "", "YAML file of settings: keys are these flag names without --; flags given on the command line win")
	fs.StringVar(&o.certDir, "cert-dir", "/etc/meshprobe/tls", "directory with the serving tls.crt and tls.key, reloaded when they change")
	fs.StringVar(&o.webhookHost, "webhook-host", "", "address the webhook listens on (empty: all)")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "HTTPS port of the admission webhook (path /mutate-v1-pod)")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint (\"0\" disables it)")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, in-cluster, then ~/.kube/config)")
	fs.StringVar(&o.namespace, "namespace", defaultNamespace(), "meshprobe's own namespace, never injected ($POD_NAMESPACE when set)")
	fs.StringVar(&o.nativeSidecar, "native-sidecar", "auto", "inject a native sidecar (init container with restartPolicy Always): auto (when the server is 1.29+), true or false")
	fs.BoolVar(&o.strict, "strict", false, "deny pods whose meshprobe.io/checks annotation is invalid instead of warning")
	fs.BoolVar(&o.enableHTTP2, "enable-http2", false, "serve the webhook over HTTP/2 as well as HTTP/1.1")
	fs.Int64Var(&o.maxRequestBytes, "max-request-bytes", webhook.DefaultMaxRequestBytes, "largest AdmissionReview body accepted")
	fs.DurationVar(&o.requestTimeout, "request-timeout", webhook.DefaultRequestTimeout, "time to read one AdmissionReview and write the answer")
	fs.IntVar(&o.maxInFlight, "max-in-flight", webhook.DefaultMaxInFlight, "admission requests handled at once; more are answered 503 at once, and with failurePolicy Ignore their pods start without the sidecar")
	registerSidecarFlags(fs, o)
	o.cp.registerFlags(fs)
	o.log.RegisterFlags(fs)
	return fs
}

func registerSidecarFlags(fs *flag.FlagSet, o *options) {
	d := webhook.DefaultConfig()
	fs.StringVar(&o.sidecarImage, "sidecar-image", "ghcr.io/meshprobe/meshprobe-sidecar:"+buildinfo.Version(), "image of the injected sidecar")
	fs.StringVar(&o.sidecarPullPolicy, "sidecar-image-pull-policy", string(d.ImagePullPolicy), "sidecar imagePullPolicy: Always, IfNotPresent or Never")
	fs.StringVar(&o.sidecarCPUReq, "sidecar-cpu-request", "10m", "sidecar CPU request (empty: none)")
	fs.StringVar(&o.sidecarMemReq, "sidecar-memory-request", "32Mi", "sidecar memory request (empty: none)")
	fs.StringVar(&o.sidecarCPULim, "sidecar-cpu-limit", "200m", "sidecar CPU limit (empty: none)")
	fs.StringVar(&o.sidecarMemLim, "sidecar-memory-limit", "64Mi", "sidecar memory limit (empty: none)")
	fs.Int64Var(&o.sidecarRunAsUser, "sidecar-run-as-user", d.RunAsUser, "numeric non-root uid and gid of the sidecar")
	fs.IntVar(&o.gossipPort, "gossip-port", int(d.GossipPort), "sidecar gossip port, TCP and UDP (MESHPROBE_GOSSIP_PORT)")
	fs.IntVar(&o.httpPort, "http-port", int(d.HTTPPort), "sidecar HTTP port for /metrics, /healthz and /api/v1 (MESHPROBE_HTTP_PORT)")
	fs.StringVar(&o.gossipJoin, "gossip-join", "", "address sidecars join through (MESHPROBE_GOSSIP_JOIN; default meshprobe-gossip.<namespace>.svc:<gossip-port>)")
	o.sidecarDefaults.registerFlags(fs)
	fs.StringVar(&o.excludedNS, "excluded-namespaces", "kube-system,kube-public,kube-node-lease", "comma-separated namespaces never injected; --namespace is always added")
}

// parseOptions parses args, then fills what they left unset from --config.
func parseOptions(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := newFlagSet(o, out)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: meshprobe-webhook takes flags only", fs.Args())
	}
	if o.configFile == "" {
		return o, nil
	}
	data, err := os.ReadFile(o.configFile)
	if err != nil {
		return nil, fmt.Errorf("reading --config: %w", err)
	}
	settings, err := parseConfigFile(data)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", o.configFile, err)
	}
	if err := applySettings(fs, settings); err != nil {
		return nil, fmt.Errorf("config file %s: %w", o.configFile, err)
	}
	return o, nil
}

// controlPlaneOptions are the flags of the control-plane role.
type controlPlaneOptions struct {
	leaderElect       bool
	leaderID          string
	leaderPodSelector string
	leaseDuration     time.Duration
	renewDeadline     time.Duration
	retryPeriod       time.Duration

	heartbeatAddr      string
	heartbeatRateLimit string
	insecureNoAuth     bool
	// heartbeatFailedAuth (nil: the default) and heartbeatTrustedProxies are
	// parsed when the flags are set.
	heartbeatFailedAuth     *heartbeat.Rate
	heartbeatTrustedProxies []netip.Prefix

	gossip         bool
	gossipBindAddr string
	gossipKeyDir   string

	clusterChecks bool   // clusterchecks.go
	viewAddr      string // view.go

	te         thousandeyes.Config
	gossipKeys gossipkeys.Config
	trust      trustOptions // trust.go: missed injections, built-in webhook certificates
}

// registerFlags adds the control-plane flags to fs. The ThousandEyes settings
// are read from the environment first, so that flags win.
func (c *controlPlaneOptions) registerFlags(fs *flag.FlagSet) {
	d := leader.DefaultConfig()
	fs.BoolVar(&c.leaderElect, "leader-elect", true, "campaign for the "+contract.LeaseName+" Lease and run the leader-only tasks (ThousandEyes sync, heartbeat API, gossip keys) while leading")
	fs.StringVar(&c.leaderID, "leader-id", "", "identity in the Lease (default $POD_NAME, else the host name and a random suffix)")
	fs.StringVar(&c.leaderPodSelector, "leader-pod-selector", "", "label selector of the control-plane pods the leader takes the "+contract.LabelRole+" label from (default: this pod's labels without the per-revision ones)")
	fs.DurationVar(&c.leaseDuration, "leader-lease-duration", d.LeaseDuration, "how long followers wait after the leader's last renewal before taking the Lease over")
	fs.DurationVar(&c.renewDeadline, "leader-renew-deadline", d.RenewDeadline, "how long the leader retries renewing before it steps down")
	fs.DurationVar(&c.retryPeriod, "leader-retry-period", d.RetryPeriod, "interval between attempts to acquire or renew the Lease")
	fs.StringVar(&c.heartbeatAddr, "heartbeat-addr", heartbeat.DefaultAddr, "address of the heartbeat API, served by the leader only (\"0\" disables it)")
	fs.StringVar(&c.heartbeatRateLimit, "heartbeat-rate-limit", "", "per-client-IP heartbeat budget, e.g. 3600-H, or off (default $"+heartbeat.EnvRateLimit+", else 3600-H)")
	fs.Func("heartbeat-failed-auth-rate-limit", "per-client-IP budget of heartbeat requests that do not authenticate, e.g. 10-M (the default), or off; while it is spent the client gets 429", func(s string) error {
		r, err := heartbeat.ParseRate(s)
		c.heartbeatFailedAuth = &r
		return err
	})
	fs.Func("heartbeat-trusted-proxies", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the heartbeat client (default none: the TCP peer is the client)", func(s string) (err error) {
		c.heartbeatTrustedProxies, err = heartbeat.ParseTrustedProxies(s)
		return err
	})
	fs.BoolVar(&c.insecureNoAuth, "insecure-no-auth", false, "serve the heartbeat API without a token (otherwise $"+heartbeat.EnvAuthToken+" is required)")
	fs.BoolVar(&c.gossip, "gossip", true, "run a gossip seed member (needed by the heartbeat mesh counts and the gossip-key task)")
	fs.StringVar(&c.gossipBindAddr, "gossip-bind-address", "0.0.0.0", "address the control plane's gossip member binds (its port is --gossip-port)")
	fs.StringVar(&c.gossipKeyDir, "gossip-key-dir", envOr(contract.EnvGossipKeyDir, contract.DefaultGossipKeyDir), "directory with the gossip key file \""+contract.GossipKeySecretKey+"\" (the mounted "+contract.GossipKeySecretName+" Secret)")
	fs.StringVar(&c.viewAddr, "view-addr", meshview.DefaultAddr, "address of the cluster view (read API under /api/v1, web UI at /), served by every replica; needs --gossip (\"0\" disables it)")
	fs.BoolVar(&c.clusterChecks, "cluster-checks", true, "maintain the ConfigMap "+clusterchecks.ConfigMapName+" (key "+clusterchecks.Key+", for the node agents) from the ConfigMaps in --namespace labelled "+clusterchecks.LabelSource+"="+clusterchecks.LabelSourceValue+", while leading")
	c.te = thousandeyes.DefaultConfig()
	c.te.LoadEnv(os.Getenv)
	c.te.RegisterFlags(fs)
	c.gossipKeys = gossipkeys.DefaultConfig()
	c.gossipKeys.RegisterFlags(fs)
	c.trust.registerFlags(fs)
}

// envOr is $key, else def.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
