package clusterchecks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// section is a valid source's part of checks.yaml: a comment naming the source,
// then each check as the source wrote it (its fields, not its defaults, so the
// agents fill in the defaults as they would for the annotation), as a YAML list
// item. checks is what spec.Parse returned for in.Data.
func section(in Input, checks []spec.Check) (string, error) {
	items, err := splitItems(in.Data)
	if err != nil {
		return "", err
	}
	if len(items) != len(checks) {
		return "", fmt.Errorf("clusterchecks: %s: %d list items but %d checks", in.Source, len(items), len(checks))
	}
	var b strings.Builder
	b.WriteString("# " + in.String() + "\n")
	for i, raw := range items {
		item, err := renderItem(raw, checks[i])
		if err != nil {
			return "", fmt.Errorf("clusterchecks: %s: %w", in.Source, err)
		}
		b.WriteString(item)
	}
	return b.String(), nil
}

// splitItems splits a list of checks that spec.Parse accepted into its items,
// as JSON, the way spec.Parse reads it.
func splitItems(data string) ([]json.RawMessage, error) {
	js, err := yaml.YAMLToJSONStrict([]byte(data))
	if err != nil {
		return nil, fmt.Errorf("clusterchecks: converting the checks to JSON: %w", err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(js, &items); err != nil {
		return nil, fmt.Errorf("clusterchecks: splitting the list of checks: %w", err)
	}
	return items, nil
}

// renderItem is one check as a YAML list item ("- name: ...\n  type: ...\n")
// that spec.Parse reads as want. The YAML encoder writes some strings in ways
// that do not read back the same (a U+0085 is a line break to the decoder);
// such an item is written as a flow mapping of double-quoted ASCII strings
// instead, which YAML reads exactly.
func renderItem(raw json.RawMessage, want spec.Check) (string, error) {
	list := append(append([]byte("["), raw...), ']')
	if y, err := yaml.JSONToYAML(list); err == nil && readsAs(y, want) {
		return string(y), nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return "", fmt.Errorf("writing check %q: %w", want.Name, err)
	}
	item := "- " + escapeNonASCII(compact.String()) + "\n"
	if !readsAs([]byte(item), want) {
		return "", fmt.Errorf("check %q does not read back the same when written out", want.Name)
	}
	return item, nil
}

// escapeNonASCII is compact JSON with every character outside printable ASCII
// escaped as YAML's double-quoted strings escape it (\uXXXX, or \UXXXXXXXX
// beyond U+FFFF, where JSON would need a surrogate pair that YAML does not
// read). In compact JSON such characters are inside strings.
func escapeNonASCII(js string) string {
	var b strings.Builder
	for _, r := range js {
		switch {
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// readsAs reports whether data parses to the one check want.
func readsAs(data []byte, want spec.Check) bool {
	got, err := spec.Parse(data)
	return err == nil && len(got) == 1 && reflect.DeepEqual(got[0], want)
}
