// Package imagescmd is the command meshprobe-images (cmd/meshprobe-images): it
// builds meshprobe's container images without a Docker engine or a registry
// (package imagebuild), as one archive per image name, or pushes the published
// images to a registry as multi-platform indexes.
package imagescmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/meshprobe/meshprobe/internal/imagebuild"
)

// options are the command's flags.
type options struct {
	imagebuild.Project
	out  string
	only string
	// push, platforms and insecure: --push, --platforms, --insecure.
	push      bool
	platforms string
	insecure  bool
}

// Main runs meshprobe-images with args (without the program name): it builds the
// archives, or pushes with --push, and returns the exit code: 0, 1 on a build or
// push error, 2 on a usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "meshprobe-images:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	do := build
	if o.push {
		do = push
	}
	if err := do(ctx, log, o, stdout); err != nil {
		log.Error("meshprobe-images failed", "err", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("meshprobe-images", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Root, "root", ".", "repository root, holding the Dockerfiles")
	fs.StringVar(&o.BinDir, "bin-dir", "bin", "directory of the binaries built by `make build`")
	fs.StringVar(&o.out, "out", filepath.Join("bin", "images"), "directory to write <name>.tar to")
	fs.StringVar(&o.Version, "version", "", "tag of meshprobe's own images: the version the binaries were built with (required)")
	fs.StringVar(&o.Repo, "repo", "ghcr.io/meshprobe", "repository path of meshprobe's own images")
	fs.StringVar(&o.CABundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA bundle copied into every image")
	fs.StringVar(&o.CoreDNS, "coredns", "", "CoreDNS binary (hack/coredns.sh prints it); required unless --only leaves coredns out")
	fs.StringVar(&o.only, "only", "", "comma-separated archive names to write, or with --push images to push (default: all)")
	fs.BoolVar(&o.push, "push", false, "push "+strings.Join(imagebuild.PublishedImages(), " and ")+" to --repo instead of writing archives")
	fs.StringVar(&o.platforms, "platforms", "linux/"+runtime.GOARCH, "with --push: platforms of the index (comma or space separated); binaries in --bin-dir/<os>_<arch>")
	fs.BoolVar(&o.insecure, "insecure", false, "with --push: plain HTTP to the registry")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.Version == "" {
		return o, fmt.Errorf("--version is required")
	}
	if o.push {
		return o, nil
	}
	if o.CoreDNS == "" && o.wants("coredns") {
		return o, fmt.Errorf("--coredns is required for the coredns image (hack/coredns.sh prints the binary's path)")
	}
	return o, nil
}

// names are the archives to write; none means all.
func (o options) names() []string {
	if o.only == "" {
		return nil
	}
	return strings.Split(o.only, ",")
}

// wants tells whether the archive name is to be written.
func (o options) wants(name string) bool {
	return o.only == "" || slices.Contains(o.names(), name)
}

// build writes the wanted archives and prints their paths on stdout.
func build(ctx context.Context, log *slog.Logger, o options, stdout io.Writer) error {
	start := time.Now()
	if o.wants("pause") {
		tmp, err := os.MkdirTemp("", "meshprobe-pause-")
		if err != nil {
			return fmt.Errorf("building the pause binary: %w", err)
		}
		defer os.RemoveAll(tmp)
		if o.Pause, err = imagebuild.BuildPause(ctx, o.Root, tmp); err != nil {
			return err
		}
	}
	if o.wants("coredns") {
		v, err := imagebuild.CoreDNSVersion(ctx, o.CoreDNS)
		if err != nil {
			return err
		}
		o.CoreDNSVersion = v
	}
	archives, err := o.Archives(o.names()...)
	if err != nil {
		return err
	}
	for _, a := range archives {
		if err := writeArchive(log, o.out, a, stdout); err != nil {
			return err
		}
	}
	log.Info("images built", "dir", o.out, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// writeArchive writes a to dir/<name>.tar and prints its path.
func writeArchive(log *slog.Logger, dir string, a imagebuild.Archive, stdout io.Writer) error {
	start := time.Now()
	file := filepath.Join(dir, a.Name+".tar")
	if err := imagebuild.WriteArchive(file, a.Images...); err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("checking %s: %w", file, err)
	}
	var refs []string
	for _, img := range a.Images {
		refs = append(refs, img.Refs...)
	}
	log.Info("archive written", "file", file, "refs", strings.Join(refs, " "),
		"MiB", st.Size()>>20, "took", time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(stdout, file)
	return nil
}
