// Command meshprobe-webhook runs meshprobe's control-plane replica: the mutating
// admission webhook that injects the meshprobe sidecar (on /mutate-v1-pod, every
// replica), /healthz and /readyz, Prometheus /metrics, and the Lease-elected
// control plane (see controlplane/README.md).
//
// Settings come from flags or a --config YAML file whose keys are the flag names;
// webhook/README.md lists them all.
package main

import (
	"os"

	"github.com/meshprobe/meshprobe/controlplane"
)

func main() { os.Exit(controlplane.Main(os.Args[1:], os.Stderr)) }
