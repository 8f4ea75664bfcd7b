// Command thousandeyes-fake serves the fake ThousandEyes API v7 of package
// internal/testkit/tefake as a standalone process, for the e2e suite,
// `make demo` and kind. It is a test double: it keeps everything in memory.
//
//	thousandeyes-fake --listen 127.0.0.1:8089     # token from TE_API_TOKEN or --token-file
//
// API: http://<listen>/v7/...; switches and the request log: /_fake/... (see
// tefake.AdminHandler); liveness: /healthz. It prints "listening on <url>" once
// ready. The command is tefake.Main.
package main

import (
	"os"

	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

func main() { os.Exit(tefake.Main(os.Args[1:], os.Stdout, os.Stderr)) }
