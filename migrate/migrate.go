package migrate

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Source names a tool whose configuration Convert reads.
type Source string

// The sources.
const (
	SourceEpsitter       Source = "epsitter"
	SourceSyntheticHeart Source = "synthetic-heart"
	SourceNetworkProber  Source = "network-prober"
)

// Sources lists the sources in the order the CLI documents them.
func Sources() []Source {
	return []Source{SourceEpsitter, SourceSyntheticHeart, SourceNetworkProber}
}

// MaxInputBytes bounds the input: far more than any real configuration of
// these tools, small enough that a mistaken input cannot exhaust memory.
const MaxInputBytes = 4 << 20

// Defaults of Options, taken from epsitter's settings.py (POLL_INTERVAL,
// REQUEST_TIMEOUT) and meshprobe's install.
const (
	DefaultNamespace              = contract.DefaultNamespace
	DefaultEpsitterPollInterval   = 30 * time.Second
	DefaultEpsitterRequestTimeout = 15 * time.Second
	DefaultSecretDir              = "/etc/meshprobe/secrets"
)

// Payload encodings of an epsitter payload map.
const (
	// PayloadForm encodes a payload map as application/x-www-form-urlencoded,
	// as epsitter did (python-requests' data=dict).
	PayloadForm = "form"
	// PayloadJSON encodes a payload map as a JSON object.
	PayloadJSON = "json"
)

// Options tune a conversion. The zero value means the defaults.
type Options struct {
	// Namespace is meshprobe's namespace, where cluster-check ConfigMaps and
	// credential Secrets go (default meshprobe-system).
	Namespace string
	// SecretDir is where the node agents mount credential Secrets, one
	// directory per Secret (default /etc/meshprobe/secrets).
	SecretDir string
	// EpsitterPollInterval is epsitter's POLL_INTERVAL, the interval of every
	// converted check (default 30s).
	EpsitterPollInterval time.Duration
	// EpsitterRequestTimeout is epsitter's REQUEST_TIMEOUT, the timeout of a
	// URL without its own (default 15s).
	EpsitterRequestTimeout time.Duration
	// EpsitterPayload is PayloadForm (default) or PayloadJSON.
	EpsitterPayload string
	// SourceName names the input in the output's header comment ("-" for stdin).
	SourceName string
}

// withDefaults returns o with every unset field set to its default.
func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.SecretDir == "" {
		o.SecretDir = DefaultSecretDir
	}
	if o.EpsitterPollInterval == 0 {
		o.EpsitterPollInterval = DefaultEpsitterPollInterval
	}
	if o.EpsitterRequestTimeout == 0 {
		o.EpsitterRequestTimeout = DefaultEpsitterRequestTimeout
	}
	if o.EpsitterPayload == "" {
		o.EpsitterPayload = PayloadForm
	}
	return o
}

// Result is the outcome of a conversion.
type Result struct {
	// YAML is the multi-document output, with comments.
	YAML []byte
	// Warnings name what could not be carried over, in input order.
	Warnings []Warning
}

// Warning is something of the input that was dropped or changed.
type Warning struct {
	// Object names the source object: `SyntheticTest "default/dns"`, `url "Google"`.
	Object string
	// Field is the source field at fault ("spec.node", "auth_pass"), or empty.
	Field string
	// Message says what happened and what to do.
	Message string
}

// String formats w as `<object>: field "<field>": <message>`.
func (w Warning) String() string {
	if w.Field == "" {
		return w.Object + ": " + w.Message
	}
	return fmt.Sprintf("%s: field %q: %s", w.Object, w.Field, w.Message)
}

// warnings collects the warnings of one conversion.
type warnings struct{ list []Warning }

// add records a warning about a field of an object.
func (w *warnings) add(object, field, format string, args ...any) {
	w.list = append(w.list, Warning{Object: object, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Convert reads the configuration of src from r (at most MaxInputBytes) and
// converts it.
func Convert(src Source, r io.Reader, opts Options) (Result, error) {
	data, err := readBounded(r)
	if err != nil {
		return Result{}, err
	}
	return ConvertBytes(src, data, opts)
}

// ConvertBytes converts data, the configuration of src.
func ConvertBytes(src Source, data []byte, opts Options) (Result, error) {
	if len(data) > MaxInputBytes {
		return Result{}, fmt.Errorf("input is %d bytes, over the limit of %d", len(data), MaxInputBytes)
	}
	if opts.EpsitterPayload != "" && opts.EpsitterPayload != PayloadForm && opts.EpsitterPayload != PayloadJSON {
		return Result{}, fmt.Errorf("payload encoding %q: want %s or %s", opts.EpsitterPayload, PayloadForm, PayloadJSON)
	}
	opts = opts.withDefaults()
	switch src {
	case SourceEpsitter:
		return convertEpsitter(data, opts)
	case SourceSyntheticHeart:
		return convertSyntheticHeart(data, opts)
	case SourceNetworkProber:
		return convertNetworkProber(data, opts)
	}
	names := make([]string, 0, 3)
	for _, s := range Sources() {
		names = append(names, string(s))
	}
	return Result{}, fmt.Errorf("unknown source %q: want one of %s", src, strings.Join(names, ", "))
}

// readBounded reads all of r, failing past MaxInputBytes.
func readBounded(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	if n > MaxInputBytes {
		return nil, fmt.Errorf("input is over the limit of %d bytes", MaxInputBytes)
	}
	return buf.Bytes(), nil
}
