// Command meshprobe is meshprobe's command-line tool for users. Its command
// convert turns the configuration of epsitter, synthetic-heart and
// k8s-network-prober-operator into meshprobe's (see package migrate and
// docs/migration):
//
//	meshprobe convert --from epsitter -f sitter.yaml > cluster-checks.yaml
//	kubectl get synthetictests -A -o yaml | meshprobe convert --from synthetic-heart
package main

import (
	"os"

	"github.com/meshprobe/meshprobe/migrate"
)

func main() { os.Exit(migrate.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
