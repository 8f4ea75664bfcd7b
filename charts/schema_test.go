package charts_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/controlplane"
)

// TestSchemaListsEveryFlag checks that values.schema.json's webhook.flags names
// every flag of values.yaml's list, and no other (a misspelt flag fails the
// install), with its type where the flag has one; -update rewrites that part.
func TestSchemaListsEveryFlag(t *testing.T) {
	clearFlagEnv(t)
	path := filepath.Join(chartDir, "values.schema.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(data, &schema))
	webhook, ok := schema["properties"].(map[string]any)["webhook"].(map[string]any)["properties"].(map[string]any)
	require.True(t, ok, "values.schema.json has no properties.webhook.properties")
	webhook["flags"] = flagsSchema()
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(schema))
	if *update {
		require.NoError(t, os.WriteFile(path, want.Bytes(), 0o644))
		return
	}
	assert.Equal(t, want.String(), string(data), "values.schema.json's flags are not meshprobe-webhook's: go test ./charts -update")
}

// flagsSchema is the JSON schema of webhook.flags.
func flagsSchema() map[string]any {
	props := map[string]any{}
	controlplane.FlagSet().VisitAll(func(f *flag.Flag) {
		if _, named := namedFlags[f.Name]; named {
			return
		}
		p := map[string]any{"description": flagDoc(f)}
		if types := flagTypes(f); types != nil {
			p["type"] = types
		}
		props[f.Name] = p
	})
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"description":          "meshprobe-webhook's flags: null is not passed, any other value is passed as --name=value",
		"properties":           props,
	}
}

// flagTypes are the JSON types a flag's value may have: its own kind, or its text;
// none (anything) for string flags, which also take lists and mappings.
func flagTypes(f *flag.Flag) []string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return nil
	}
	switch g.Get().(type) {
	case bool:
		return []string{"boolean", "string", "null"}
	case int, int64, uint, uint64:
		return []string{"integer", "string", "null"}
	case float64:
		return []string{"number", "string", "null"}
	}
	return nil
}

// TestSchemaRefusesUnknownFlags renders with a misspelt flag and with a flag the
// chart sets from another value.
func TestSchemaRefusesUnknownFlags(t *testing.T) {
	for _, name := range []string{"strikt", "webhook-certs"} {
		_, err := renderErr(t, map[string]any{"webhook": map[string]any{"flags": map[string]any{name: "x"}}})
		assert.ErrorContains(t, err, name)
	}
	_, err := renderErr(t, map[string]any{"webhook": map[string]any{"flags": map[string]any{"max-in-flight": true}}})
	assert.ErrorContains(t, err, "max-in-flight", "a bool for an int flag")
}
