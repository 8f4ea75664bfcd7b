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
//
// The command is package internal/testkit/localcluster/localclustercmd.
package main

import (
	"os"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/localclustercmd"
)

func main() { os.Exit(localclustercmd.Main(os.Args[1:])) }
