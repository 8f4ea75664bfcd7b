package controlplane

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"k8s.io/klog/v2"
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

// Main runs meshprobe-webhook with the process's arguments and environment until
// SIGTERM or SIGINT, and returns the exit code: 0 after a clean shutdown (or
// -help), 1 on a runtime error, 2 on a configuration error. It is the only place
// that sets process-wide state: GOGC, the signal handlers, and the global loggers
// of controller-runtime and client-go (klog).
func Main(args []string, stderr io.Writer) int {
	o, log, code := configure(args, stderr)
	if o == nil {
		return code
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	// controller-runtime's webhook server and client-go's informers log through
	// their libraries' global loggers: send both to slog.
	ctrllog.SetLogger(logging.Logr(log))
	klog.SetLogger(logging.Logr(log))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, o, log)
}

// configure parses the options and builds the logger. On failure (or -help) it
// returns nil options and the exit code, having written the reason to stderr.
func configure(args []string, stderr io.Writer) (*options, *slog.Logger, int) {
	o, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil, nil, 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "meshprobe-webhook:", err)
		return nil, nil, 2
	}
	log, err := logging.New(o.log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "meshprobe-webhook:", err)
		return nil, nil, 2
	}
	return o, log, 0
}

// run serves until ctx is done and returns the exit code.
func run(ctx context.Context, o *options, log *slog.Logger) int {
	log.Info("starting meshprobe-webhook", "version", buildinfo.Version())
	if err := serve(ctx, o, log); err != nil {
		log.Error("meshprobe-webhook stopped", "err", err)
		return 1
	}
	log.Info("meshprobe-webhook stopped")
	return 0
}
