// Command meshprobe-images builds meshprobe's container images without a Docker
// engine or a registry: one archive per image name in --out, which `ctr -n
// k8s.io images import` and `docker load` read. `make images` runs it after
// `make build`:
//
//	meshprobe-images --version v1.2.0 --bin-dir bin --out bin/images --coredns "$(hack/coredns.sh)"
//
// It writes meshprobe-webhook.tar, meshprobe-sidecar.tar, testapp.tar,
// thousandeyes-fake.tar, pause.tar and coredns.tar, and prints their paths.
//
// With --push it writes no archives: it pushes the images users install
// (meshprobe-webhook and meshprobe-sidecar) to --repo, each as one OCI image
// index of --platforms, from the binaries in --bin-dir/<os>_<arch>, tagged
// --version and latest, and prints each ref with its digest. It authenticates
// as docker does (~/.docker/config.json and its credential helpers). `make push`
// cross-compiles the binaries and runs
//
//	meshprobe-images --push --platforms "linux/amd64 linux/arm64" --version v1.2.0 --repo registry.example.com/meshprobe --bin-dir bin
//
// The command is package internal/imagebuild/imagescmd.
package main

import (
	"os"

	"github.com/meshprobe/meshprobe/internal/imagebuild/imagescmd"
)

func main() { os.Exit(imagescmd.Main(os.Args[1:], os.Stdout, os.Stderr)) }
