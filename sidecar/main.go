package sidecar

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/meshprobe/meshprobe/internal/buildinfo"
	"github.com/meshprobe/meshprobe/internal/logging"
)

// Main runs the sidecar with the process's arguments and environment until
// SIGTERM or SIGINT, and returns the exit code: 0 after a clean shutdown, 1 on a
// runtime error, 2 on a configuration error.
func Main(args []string, stderr io.Writer) int {
	cfg, err := LoadConfig(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "meshprobe-sidecar:", err)
		return 2
	}
	log, err := logging.New(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "meshprobe-sidecar:", err)
		return 2
	}
	log = log.With("version", buildinfo.Version())
	agent, err := NewAgent(cfg, log)
	if err != nil {
		log.Error("meshprobe-sidecar: starting failed", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := agent.Run(ctx); err != nil {
		log.Error("meshprobe-sidecar: stopped with an error", "err", err)
		return 1
	}
	log.Info("meshprobe-sidecar: stopped")
	return 0
}
