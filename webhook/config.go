package webhook

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Config is what the injected sidecar looks like and which pods are never touched.
// Build one with DefaultConfig and override fields; call Validate before use.
// A Config is read-only once the Handler has it, so one value serves all requests.
type Config struct {
	// Image is the sidecar image reference, e.g. "ghcr.io/meshprobe/meshprobe-sidecar:v0.1.0".
	Image string
	// ImagePullPolicy of the sidecar container. Default IfNotPresent.
	ImagePullPolicy corev1.PullPolicy
	// GossipPort is the sidecar's memberlist port, TCP and UDP. Default 14100.
	GossipPort int32
	// HTTPPort is the sidecar's /metrics, /healthz and /api/v1 port. Default 14101.
	HTTPPort int32
	// PortRange is where a sidecar's ports move when the pod's containers use
	// GossipPort or HTTPPort: the lowest free ports of it. Default 14102-14117.
	PortRange PortRange
	// GossipJoin is the address sidecars join the mesh through, passed as
	// MESHPROBE_GOSSIP_JOIN. Default "meshprobe-gossip.meshprobe-system.svc:14100".
	GossipJoin string
	// Sidecar are the cluster-wide defaults of the meshprobe.io/sidecar settings
	// (no volumeMounts or ports); each pod's annotation overrides them. Default none.
	Sidecar SidecarSettings
	// Resources are the sidecar's requests and limits. Default requests 10m CPU and
	// 32Mi memory, limits 200m CPU and 64Mi memory.
	Resources corev1.ResourceRequirements
	// RunAsUser is the numeric uid (and gid) the sidecar runs as. Default 65532,
	// the distroless "nonroot" user.
	RunAsUser int64
	// ExcludedNamespaces are never injected, whatever their labels say. Default
	// kube-system, kube-public, kube-node-lease and meshprobe-system.
	ExcludedNamespaces []string
	// NativeSidecar injects an init container with restartPolicy Always (Kubernetes
	// 1.29+) instead of a plain container. Default true.
	NativeSidecar bool
	// Version is written to the meshprobe.io/injected annotation. Default "dev".
	Version string
	// Strict denies a pod whose meshprobe.io annotations are invalid, instead of
	// injecting it with a warning. Default false.
	Strict bool
}

// DefaultConfig returns the defaults documented on each Config field.
func DefaultConfig() Config {
	return Config{
		Image:           "ghcr.io/meshprobe/meshprobe-sidecar:latest",
		ImagePullPolicy: corev1.PullIfNotPresent,
		GossipPort:      contract.DefaultGossipPort,
		HTTPPort:        contract.DefaultHTTPPort,
		PortRange:       PortRange{First: contract.DefaultPortRangeFirst, Last: contract.DefaultPortRangeLast},
		GossipJoin:      DefaultGossipJoin(contract.DefaultNamespace, contract.DefaultGossipPort),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("32Mi"),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("200m"),
				corev1.ResourceMemory: resource.MustParse("64Mi"),
			},
		},
		RunAsUser:          65532,
		ExcludedNamespaces: DefaultExcludedNamespaces(contract.DefaultNamespace),
		NativeSidecar:      true,
		Version:            "dev",
	}
}

// DefaultExcludedNamespaces returns the system namespaces plus meshprobe's own.
func DefaultExcludedNamespaces(own string) []string {
	return []string{"kube-system", "kube-public", "kube-node-lease", own}
}

// DefaultGossipJoin returns the gossip Service address in meshprobe's namespace.
func DefaultGossipJoin(namespace string, port int32) string {
	return fmt.Sprintf("%s.%s.svc:%d", contract.GossipServiceName, namespace, port)
}

// Validate reports every problem in c, each naming the field.
func (c *Config) Validate() error {
	var errs []error
	if c.Image == "" {
		errs = append(errs, errors.New("sidecar image is empty"))
	}
	switch c.ImagePullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		errs = append(errs, fmt.Errorf("sidecar image pull policy %q: want Always, IfNotPresent or Never", c.ImagePullPolicy))
	}
	errs = append(errs, validatePorts(c.GossipPort, c.HTTPPort)...)
	if r := c.PortRange; r.First < minSidecarPort || r.Last > 65535 || r.First > r.Last {
		errs = append(errs, fmt.Errorf("sidecar port range %s: want first-last within %d-65535", r, minSidecarPort))
	}
	for _, err := range c.Sidecar.validate(nil) {
		errs = append(errs, fmt.Errorf("sidecar defaults: %w", err))
	}
	if c.GossipJoin == "" {
		errs = append(errs, errors.New("gossip join address is empty"))
	}
	if c.RunAsUser <= 0 {
		errs = append(errs, fmt.Errorf("sidecar runAsUser %d: must be a non-root uid (> 0)", c.RunAsUser))
	}
	errs = append(errs, validateResources(c.Resources)...)
	for _, ns := range c.ExcludedNamespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("excluded namespace %q: %s", ns, msgs[0]))
		}
	}
	if c.Version == "" {
		errs = append(errs, errors.New("version is empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("webhook: invalid config: %w", err)
	}
	return nil
}

func validatePorts(gossip, http int32) []error {
	var errs []error
	if gossip < 1 || gossip > 65535 {
		errs = append(errs, fmt.Errorf("gossip port %d: want 1-65535", gossip))
	}
	if http < 1 || http > 65535 {
		errs = append(errs, fmt.Errorf("http port %d: want 1-65535", http))
	}
	if gossip == http {
		errs = append(errs, fmt.Errorf("gossip port and http port are both %d: they must differ", gossip))
	}
	return errs
}

func validateResources(r corev1.ResourceRequirements) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
		req := r.Requests[name]
		if req.Sign() < 0 {
			errs = append(errs, fmt.Errorf("sidecar %s request %s is negative", name, req.String()))
		}
		if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
			errs = append(errs, fmt.Errorf("sidecar %s request %s exceeds its limit %s", name, req.String(), lim.String()))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Limits)) {
		lim := r.Limits[name]
		if lim.Sign() <= 0 {
			errs = append(errs, fmt.Errorf("sidecar %s limit %s must be positive", name, lim.String()))
		}
	}
	return errs
}
