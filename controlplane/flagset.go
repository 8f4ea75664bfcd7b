package controlplane

import (
	"flag"
	"io"
)

// FlagSet returns meshprobe-webhook's flags with their defaults and usage, for
// what documents or checks them (the Helm chart's values: charts/). Parsing it
// configures nothing; the defaults that read the environment ($POD_NAMESPACE,
// the ThousandEyes variables) read it now.
func FlagSet() *flag.FlagSet { return newFlagSet(&options{}, io.Discard) }
