// Command meshprobe-webhook runs meshprobe's control-plane replica: the mutating
// admission webhook that injects the meshprobe sidecar (on /mutate-v1-pod, every
// replica), /healthz and /readyz, and Prometheus /metrics.
//
// Settings come from flags or a --config YAML file whose keys are the flag names;
// webhook/README.md lists them all.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/meshprobe/meshprobe/internal/buildinfo"
	"github.com/meshprobe/meshprobe/internal/logging"
)

// defaultGCPercent is the GOGC the webhook runs with unless GOGC is set. Each
// review allocates about 45 kB and the live heap is a few MB, so at the default
// of 100 the collector runs dozens of times a second under load, and its mark
// phases make the latency tail: at 3,000 reviews/s, p99 was 4.3-5.7 ms with
// GOGC 200 and 2.5-2.9 ms with 400, for about 8 MiB more RSS (BENCHMARKS.md).
// GOMEMLIMIT, set from the container's memory limit in the Deployment, still
// bounds the heap.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; it returns the process exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "meshprobe-webhook:", err)
		return 2
	}
	log, err := logging.New(stderr, o.log)
	if err != nil {
		fmt.Fprintln(stderr, "meshprobe-webhook:", err)
		return 2
	}
	ctrllog.SetLogger(logging.Logr(log))
	log.Info("starting meshprobe-webhook", "version", buildinfo.Version())
	if err := serve(ctx, o, log); err != nil {
		log.Error("meshprobe-webhook stopped", "err", err)
		return 1
	}
	log.Info("meshprobe-webhook stopped")
	return 0
}
