package controlplane

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

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

	log logging.Options
	cp  controlPlaneOptions
}

func defaultNamespace() string {
	if ns := os.Getenv(contract.EnvPodNamespace); ns != "" {
		return ns
	}
	return contract.DefaultNamespace
}

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

// webhookConfig turns the options into a validated webhook.Config.
func (o *options) webhookConfig(nativeSidecar bool) (webhook.Config, error) {
	cfg := webhook.DefaultConfig()
	cfg.Image = o.sidecarImage
	cfg.ImagePullPolicy = corev1.PullPolicy(o.sidecarPullPolicy)
	cfg.GossipPort, cfg.HTTPPort = int32(o.gossipPort), int32(o.httpPort)
	if o.gossipPort != int(cfg.GossipPort) || o.httpPort != int(cfg.HTTPPort) {
		return cfg, errors.New("--gossip-port and --http-port must be 1-65535")
	}
	cfg.GossipJoin = o.gossipJoin
	if cfg.GossipJoin == "" {
		cfg.GossipJoin = webhook.DefaultGossipJoin(o.namespace, cfg.GossipPort)
	}
	cfg.RunAsUser = o.sidecarRunAsUser
	cfg.ExcludedNamespaces = excludedNamespaces(o.excludedNS, o.namespace)
	cfg.NativeSidecar = nativeSidecar
	cfg.Version = buildinfo.Version()
	res, err := o.resources()
	if err != nil {
		return cfg, err
	}
	cfg.Resources = res
	return cfg, cfg.Validate()
}

func (o *options) resources() (corev1.ResourceRequirements, error) {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	for _, q := range []struct {
		flag, value string
		list        corev1.ResourceList
		name        corev1.ResourceName
	}{
		{"sidecar-cpu-request", o.sidecarCPUReq, r.Requests, corev1.ResourceCPU},
		{"sidecar-memory-request", o.sidecarMemReq, r.Requests, corev1.ResourceMemory},
		{"sidecar-cpu-limit", o.sidecarCPULim, r.Limits, corev1.ResourceCPU},
		{"sidecar-memory-limit", o.sidecarMemLim, r.Limits, corev1.ResourceMemory},
	} {
		if q.value == "" {
			continue
		}
		v, err := resource.ParseQuantity(q.value)
		if err != nil {
			return r, fmt.Errorf("--%s %q: %w", q.flag, q.value, err)
		}
		q.list[q.name] = v
	}
	return r, nil
}

func excludedNamespaces(list, own string) []string {
	var out []string
	for ns := range strings.SplitSeq(list, ",") {
		if ns = strings.TrimSpace(ns); ns != "" && ns != own {
			out = append(out, ns)
		}
	}
	return append(out, own)
}
