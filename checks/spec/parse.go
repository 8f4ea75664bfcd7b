package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Limits on an annotation. Kubernetes caps all of a pod's annotations together at
// 256 KiB, so a larger value cannot come from a real pod.
const (
	MaxAnnotationBytes = 256 << 10
	MaxChecks          = 1000
)

// Parse reads the meshprobe.io/checks annotation: a YAML or JSON list of checks.
// Empty input (or null) is an empty list. Each check gets its defaults first and
// is then validated against the registry of check types. On any problem Parse
// returns no checks and an error joining one [*Error] per problem, each naming the
// check (by name, or by 1-based position) and the field, like
//
//	check "api": field "expectStatus": invalid regex "[": missing closing ]: `[`
func Parse(data []byte) ([]Check, error) {
	if len(data) > MaxAnnotationBytes {
		return nil, &Error{Problem: fmt.Sprintf("annotation is %d bytes, over the limit of %d", len(data), MaxAnnotationBytes)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	items, err := splitList(data)
	if err != nil {
		return nil, err
	}
	specs := make([]Check, 0, len(items))
	var errs []error
	seen := make(map[string]int, len(items))
	labels := labelUnion{}
	for i, item := range items {
		s, p := parseOne(i+1, item)
		labels.add(p, s.Labels)
		if first, dup := seen[s.Name]; dup && s.Name != "" {
			p.add("name", "duplicate name (also check #%d)", first)
		} else if s.Name != "" {
			seen[s.Name] = i + 1
		}
		errs = append(errs, p.list...)
		specs = append(specs, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return specs, nil
}

// splitList converts the YAML (a superset of JSON) to JSON and splits the list.
func splitList(data []byte) ([]json.RawMessage, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
		msg = strings.TrimPrefix(strings.TrimPrefix(msg, "yaml: "), "unmarshal errors:")
		return nil, &Error{Problem: "invalid YAML: " + strings.Join(strings.Fields(msg), " ")}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(js, &items); err != nil {
		return nil, &Error{Problem: "want a list of checks, got " + jsonKind(js)}
	}
	if len(items) > MaxChecks {
		return nil, &Error{Problem: fmt.Sprintf("%d checks, over the limit of %d", len(items), MaxChecks)}
	}
	return items, nil
}

// parseOne decodes one list item (defaults first) and validates it.
func parseOne(index int, raw json.RawMessage) (Check, *problems) {
	p := &problems{index: index}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		p.add("", "want a mapping of fields, got %s", jsonKind(raw))
		return Check{}, p
	}
	var name string
	if json.Unmarshal(fields["name"], &name) == nil {
		p.name = name
	}
	s := defaultCheck()
	decodeStruct(p, "", fields, &s)
	if len(s.Labels) == 0 {
		s.Labels = nil // labels: {} is no labels
	}
	if raw, set := fields["timeout"]; !set || string(raw) == "null" {
		s.Timeout = Duration(DefaultTimeoutFor(s.Interval.D()))
	}
	validateCommon(&s, p)
	ct, known := checkTypes[s.Type]
	if !known {
		return s, p
	}
	specFields := checkFieldNames()
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		if _, ok := specFields[key]; ok && !commonFields[key] && !ct.allows(key) {
			p.add(key, "not valid for type %q", s.Type)
		}
	}
	ct.defaults(&s)
	ct.validate(&s, p)
	return s, p
}

// DefaultTimeoutFor is the timeout of a check with this interval that sets none:
// the smaller of DefaultTimeout and 80 % of the interval, so every interval
// allowed (MinInterval and up) has a default timeout shorter than itself.
func DefaultTimeoutFor(interval time.Duration) time.Duration {
	return min(DefaultTimeout, interval*4/5)
}

// defaultCheck is a Check with the defaults of the fields every check has; the
// timeout is DefaultTimeoutFor the default interval until an interval is decoded.
func defaultCheck() Check {
	return Check{
		Interval: Duration(DefaultInterval),
		Timeout:  Duration(DefaultTimeout),
		Retries:  DefaultRetries,
		RunOn:    DefaultRunOn,
	}
}
