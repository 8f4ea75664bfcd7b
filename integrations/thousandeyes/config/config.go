package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// File is the content of a ConfigMap's config.yaml.
type File struct {
	// DryRun makes the sync log and record what it would do for this ConfigMap,
	// without writing to ThousandEyes.
	DryRun bool `json:"dryRun"`
	// Prune deletes tests this ConfigMap created that it no longer declares.
	Prune bool `json:"prune"`
	// HTTPTests are the declared HTTP Server tests.
	HTTPTests []HTTPTest `json:"httpTests"`
}

// HTTPTest is one declared HTTP Server test. After Parse, every pointer field is
// set (defaults filled), so the sync always sends every managed field.
type HTTPTest struct {
	TestName              string   `json:"testName"`
	URL                   string   `json:"url"`
	Description           string   `json:"description"`
	Interval              int      `json:"interval"`
	AlertsEnabled         *bool    `json:"alertsEnabled"`
	Enabled               *bool    `json:"enabled"`
	VerifyCertificate     *bool    `json:"verifyCertificate"`
	BandwidthMeasurements *bool    `json:"bandwidthMeasurements"`
	MTUMeasurements       *bool    `json:"mtuMeasurements"`
	HTTPTargetTime        *int     `json:"httpTargetTime"`
	HTTPTimeLimit         *int     `json:"httpTimeLimit"`
	Agents                []Ref    `json:"agents"`
	AlertRules            []Ref    `json:"alertRules"`
	Headers               []string `json:"headers"`
}

// Defaults for omitted optional fields, the API's own defaults.
const (
	DefaultAlertsEnabled         = true
	DefaultEnabled               = true
	DefaultVerifyCertificate     = false
	DefaultBandwidthMeasurements = false
	DefaultMTUMeasurements       = false
	DefaultHTTPTargetTime        = 1000
	DefaultHTTPTimeLimit         = 5
)

// Ref names an agent or an alert rule by ID (all digits) or by name. YAML numbers
// are accepted as IDs.
type Ref string

// IsID reports whether r is an ID rather than a name.
func (r Ref) IsID() bool {
	if r == "" {
		return false
	}
	for _, c := range r {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// UnmarshalJSON accepts a string or a number.
func (r *Ref) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = Ref(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&n); err != nil {
		return fmt.Errorf("want an ID or a name, got %s", truncate(string(b), 40))
	}
	*r = Ref(n.String())
	return nil
}

// MaxSize caps config.yaml; a ConfigMap holds at most 1 MiB anyway.
const MaxSize = 1 << 20

// Parse decodes, defaults and validates config.yaml. The error names the test
// and the field of every problem found.
func Parse(data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("config.yaml: %d bytes exceeds the %d byte limit", len(data), MaxSize)
	}
	var f File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("config.yaml: %w", cleanYAMLError(err))
	}
	f.setDefaults()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

func cleanYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "error unmarshaling JSON: while decoding JSON: ")
	return errors.New(strings.TrimPrefix(msg, "json: "))
}

func (f *File) setDefaults() {
	for i := range f.HTTPTests {
		t := &f.HTTPTests[i]
		t.TestName = strings.TrimSpace(t.TestName)
		t.URL = strings.TrimSpace(t.URL)
		defaultTo(&t.AlertsEnabled, DefaultAlertsEnabled)
		defaultTo(&t.Enabled, DefaultEnabled)
		defaultTo(&t.VerifyCertificate, DefaultVerifyCertificate)
		defaultTo(&t.BandwidthMeasurements, DefaultBandwidthMeasurements)
		defaultTo(&t.MTUMeasurements, DefaultMTUMeasurements)
		defaultTo(&t.HTTPTargetTime, DefaultHTTPTargetTime)
		defaultTo(&t.HTTPTimeLimit, DefaultHTTPTimeLimit)
	}
}

func defaultTo[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
