// Package localclustercmd is the command meshprobe-localcluster
// (cmd/meshprobe-localcluster): `up` and `demo` run a throwaway local cluster
// with meshprobe installed (package localcluster), and the internal subcommands
// run a real node's components, a stand-in pod's container, or the test app.
package localclustercmd

import (
	"fmt"
	"os"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/kubelet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podexec"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/realnode"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/testapp"
)

// Main runs meshprobe-localcluster with args (without the program name) and
// returns the exit code: 0, 1 on failure, 2 on a usage error.
func Main(args []string) int {
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

// usage prints the commands to stderr.
func usage() {
	fmt.Fprint(os.Stderr, `usage: meshprobe-localcluster <command> [flags]

commands:
  up     start a local cluster with meshprobe installed; Ctrl-C tears it down
  demo   up, plus demo deployments with checks, and a guide of what to look at

run "meshprobe-localcluster up -h" for the flags.
`)
}
