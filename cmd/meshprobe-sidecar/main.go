// Command meshprobe-sidecar is the prober sidecar that meshprobe's webhook injects
// into application pods: a gossip member that measures inter-pod RTT and runs the
// pod's annotation-declared checks. With --mode=agent (MESHPROBE_MODE=agent) it is
// a node agent of the meshprobe-agent DaemonSet instead, running the cluster checks
// of a mounted file. Configuration comes from the environment the pod spec sets;
// flags override it (see sidecar/README.md).
package main

import (
	"os"

	"github.com/meshprobe/meshprobe/sidecar"
)

func main() { os.Exit(sidecar.Main(os.Args[1:], os.Stderr)) }
