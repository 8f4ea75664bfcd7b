package controlplane

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// structuredSettings are the settings whose value may be a mapping, passed on to
// the flag as its JSON text.
var structuredSettings = map[string]bool{"sidecar-defaults": true}

// parseConfigFile reads a --config file: a YAML mapping from flag names (without
// "--") to values. Scalars become the flag's text; a list of scalars becomes a
// comma-separated value; the mapping of a structuredSettings key becomes its JSON text. It returns an error naming the key for anything else.
func parseConfigFile(data []byte) (map[string]string, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a YAML mapping of settings: %w", err)
	}
	out := make(map[string]string, len(raw))
	for key, v := range raw {
		if m, ok := v.(map[string]any); ok && structuredSettings[key] {
			js, err := json.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("setting %q: %w", key, err)
			}
			out[key] = string(js)
			continue
		}
		s, err := settingText(v)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", key, err)
		}
		out[key] = s
	}
	return out, nil
}

func settingText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case nil:
		return "", nil
	case []any:
		parts := make([]string, 0, len(v))
		for i, e := range v {
			s, err := settingText(e)
			if err != nil {
				return "", fmt.Errorf("item %d: %w", i, err)
			}
			if _, isList := e.([]any); isList || strings.Contains(s, ",") {
				return "", fmt.Errorf("item %d: want a plain value without commas", i)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	default:
		return "", errors.New("want a string, number, boolean or list of them")
	}
}

// applySettings sets every flag the command line left unset from settings.
func applySettings(fs *flag.FlagSet, settings map[string]string) error {
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if key == "config" || fs.Lookup(key) == nil {
			return fmt.Errorf("unknown setting %q: keys are the flag names of meshprobe-webhook -help, without --", key)
		}
		if explicit[key] {
			continue
		}
		if err := fs.Set(key, settings[key]); err != nil {
			return fmt.Errorf("setting %q: %w", key, err)
		}
	}
	return nil
}
