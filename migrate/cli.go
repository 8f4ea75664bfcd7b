package migrate

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes of Main.
const (
	exitOK    = 0
	exitError = 1 // the input could not be read or converted
	exitUsage = 2 // bad command line
)

// usage is the help text of the meshprobe CLI.
const usage = `meshprobe: tools for moving to meshprobe

Usage:
  meshprobe convert --from epsitter|synthetic-heart|network-prober [-f FILE|-] [flags]

convert reads the configuration of a tool meshprobe replaces (a file, or standard
input with -f - or without -f) and writes meshprobe's equivalent to standard output
as YAML: cluster-check ConfigMaps (epsitter, synthetic-heart) or Namespace labels and
a plan in comments (network-prober). What could not be carried over is on standard
error, one warning a line, naming the source object and field. Credentials are never
copied. See docs/migration.

Flags of convert:
`

// Main runs the meshprobe CLI with args (without the program name) and
// returns the exit code: 0, 1 when the input cannot be converted, 2 for a bad
// command line.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fs := convertFlags(&Options{}, new(string), new(string))
		fs.SetOutput(stderr)
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] != "convert" {
		fmt.Fprintf(stderr, "meshprobe: unknown command %q (want convert; meshprobe -h for help)\n", args[0])
		return exitUsage
	}
	return runConvert(args[1:], stdin, stdout, stderr)
}

// convertFlags defines the flags of convert.
func convertFlags(opts *Options, from, file *string) *flag.FlagSet {
	fs := flag.NewFlagSet("meshprobe convert", flag.ContinueOnError)
	fs.StringVar(from, "from", "", "the tool the input belongs to: epsitter (sitter.yaml), synthetic-heart (SyntheticTest objects), network-prober (NetworkProber objects)")
	fs.StringVar(file, "f", "-", "the input file; - reads standard input")
	fs.StringVar(&opts.Namespace, "namespace", DefaultNamespace, "meshprobe's namespace, for ConfigMaps and credential Secrets")
	fs.StringVar(&opts.SecretDir, "secret-dir", DefaultSecretDir, "where the node agents mount credential Secrets (one directory per Secret)")
	fs.DurationVar(&opts.EpsitterPollInterval, "poll-interval", DefaultEpsitterPollInterval, "epsitter only: its POLL_INTERVAL, the interval of every check")
	fs.DurationVar(&opts.EpsitterRequestTimeout, "request-timeout", DefaultEpsitterRequestTimeout, "epsitter only: its REQUEST_TIMEOUT, the timeout of URLs without their own")
	fs.StringVar(&opts.EpsitterPayload, "payload", PayloadForm, "epsitter only: how a payload mapping is sent: form (as epsitter did) or json")
	return fs
}

// runConvert runs `meshprobe convert`.
func runConvert(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var opts Options
	var from, file string
	fs := convertFlags(&opts, &from, &file)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "meshprobe convert: unexpected argument %q (the input is -f FILE)\n", fs.Arg(0))
		return exitUsage
	}
	if from == "" {
		fmt.Fprintln(stderr, "meshprobe convert: --from is required: epsitter, synthetic-heart or network-prober")
		return exitUsage
	}
	if err := epsitterOnly(fs, Source(from)); err != nil {
		fmt.Fprintf(stderr, "meshprobe convert: %v\n", err)
		return exitUsage
	}
	in, closeIn, err := openInput(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "meshprobe convert: %v\n", err)
		return exitError
	}
	defer closeIn()
	opts.SourceName = file
	res, err := Convert(Source(from), in, opts)
	if err != nil {
		fmt.Fprintf(stderr, "meshprobe convert: %s: %v\n", inputName(file), err)
		return exitError
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if _, err := stdout.Write(res.YAML); err != nil {
		fmt.Fprintf(stderr, "meshprobe convert: writing output: %v\n", err)
		return exitError
	}
	return exitOK
}

// epsitterOnly refuses the epsitter flags with another source.
func epsitterOnly(fs *flag.FlagSet, src Source) error {
	if src == SourceEpsitter {
		return nil
	}
	var set []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "poll-interval" || f.Name == "request-timeout" || f.Name == "payload" {
			set = append(set, "--"+f.Name)
		}
	})
	if len(set) > 0 {
		return fmt.Errorf("%s applies only to --from epsitter", strings.Join(set, ", "))
	}
	return nil
}

// openInput opens the input file, or stdin for "-".
func openInput(file string, stdin io.Reader) (io.Reader, func(), error) {
	if file == "-" || file == "" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the input: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// inputName names the input in messages.
func inputName(file string) string {
	if file == "-" || file == "" {
		return "standard input"
	}
	return file
}
