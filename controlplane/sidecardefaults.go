package controlplane

import (
	"flag"
	"fmt"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

// sidecarDefaultsOptions are the cluster-wide settings of injected sidecars
// beyond the image, resources and ports: the fallback port range and the
// defaults of the meshprobe.io/sidecar settings.
type sidecarDefaultsOptions struct {
	portRange string
	settings  string
}

func (s *sidecarDefaultsOptions) registerFlags(fs *flag.FlagSet) {
	d := webhook.DefaultConfig()
	fs.StringVar(&s.portRange, "sidecar-port-range", d.PortRange.String(), "first-last: where a sidecar's ports move when the pod's containers use --gossip-port or --http-port")
	fs.StringVar(&s.settings, "sidecar-defaults", "", "YAML or JSON in the format of the "+contract.AnnotationSidecar+" annotation (env, envFrom, resources, logLevel, rtt): defaults that each pod's annotation overrides")
}

// apply sets the port range and the sidecar defaults of cfg.
func (s *sidecarDefaultsOptions) apply(cfg *webhook.Config) error {
	r, err := webhook.ParsePortRange(s.portRange)
	if err != nil {
		return fmt.Errorf("--sidecar-port-range: %w", err)
	}
	cfg.PortRange = r
	settings, err := webhook.ParseSidecarSettings([]byte(s.settings))
	if err != nil {
		return fmt.Errorf("--sidecar-defaults: %w", err)
	}
	cfg.Sidecar = settings
	return nil
}
