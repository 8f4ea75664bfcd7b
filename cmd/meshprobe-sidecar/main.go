// Command meshprobe-sidecar is the prober sidecar that meshprobe's webhook injects
// into application pods: a gossip member that measures inter-pod RTT and runs the
// pod's annotation-declared checks. Configuration comes from the environment the
// injected pod spec sets; flags override it (see sidecar/README.md).
package main

import (
	"os"

	"github.com/meshprobe/meshprobe/sidecar"
)

func main() { os.Exit(sidecar.Main(os.Args[1:], os.Stderr)) }
