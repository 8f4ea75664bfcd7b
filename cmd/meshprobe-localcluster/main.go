// Command meshprobe-localcluster runs a throwaway Kubernetes cluster on this machine
// (real etcd, kube-apiserver, kube-controller-manager, kube-scheduler; as root real
// nodes with the official kubelet, containerd, kube-proxy and CoreDNS, without root a
// process-based node agent per Node), installs meshprobe from its manifests, and for
// `demo` adds demo workloads. Ctrl-C tears everything down.
//
//	meshprobe-localcluster up   [flags]   cluster + meshprobe; prints the kubeconfig
//	meshprobe-localcluster demo [flags]   the same plus demo deployments and a guide
//
// Internal subcommands: node-exec (start a real node's component in its cgroup and
// network namespace), and for process nodes pod-exec (enter a pod's namespaces and
// exec a container) and testapp (the meshprobe.io/testapp HTTP server).
package main

import (
	"fmt"
	"os"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/kubelet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podexec"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/realnode"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/testapp"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "up":
		return up(args[1:], false)
	case "demo":
		return up(args[1:], true)
	case realnode.ExecSubcommand:
		return realnode.ExecMain(args[1:], os.Stderr)
	case podexec.Subcommand:
		return podexec.Main(args[1:], os.Stderr)
	case kubelet.TestAppSubcommand:
		return testapp.Main(args[1:], os.Stderr)
	case "-h", "--help", "help":
		usage()
		return 0
	default:
		fmt.Fprintf(os.Stderr, "meshprobe-localcluster: unknown command %q\n", args[0])
		usage()
		return 2
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: meshprobe-localcluster <command> [flags]

commands:
  up     start a local cluster with meshprobe installed; Ctrl-C tears it down
  demo   up, plus demo deployments with checks, and a guide of what to look at

run "meshprobe-localcluster up -h" for the flags.
`)
}
