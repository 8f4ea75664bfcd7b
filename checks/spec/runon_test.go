package spec

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunOnSelects(t *testing.T) {
	nodes := []string{"worker-1", "worker-2.eu", "workers", "infra-1", "pool-a-7", "pool-c-1", ""}
	tests := []struct {
		runOn RunOn
		one   bool
		want  []string // the nodes selected
	}{
		{RunOnAll, false, nodes},
		{RunOnOne, true, nodes},
		{"*", false, nodes},
		{"$", true, nodes},
		{"worker*", false, []string{"worker-1", "worker-2.eu", "workers"}},
		{"worker-*", false, []string{"worker-1", "worker-2.eu"}},
		{"worker$", true, []string{"worker-1", "worker-2.eu", "workers"}},
		{"worker-$", true, []string{"worker-1", "worker-2.eu"}},
		{"infra-1$", true, []string{"infra-1"}},
		{"worker-?", false, []string{"worker-1"}},
		{"pool-[ab]-*$", true, []string{"pool-a-7"}},
		{"pool-[^ab]-*", false, []string{"pool-c-1"}},
		{"*-1", false, []string{"worker-1", "infra-1", "pool-c-1"}},
		{"*.eu$", true, []string{"worker-2.eu"}},
		{"nothing*", false, nil},
		// Invalid values select nothing.
		{"worker", false, nil},
		{"work[$", true, nil},
	}
	for _, tc := range tests {
		t.Run(string(tc.runOn), func(t *testing.T) {
			var got []string
			for _, n := range nodes {
				if tc.runOn.Selects(n) {
					got = append(got, n)
				}
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.one, tc.runOn.One())
			assert.Equal(t, tc.runOn != RunOnAll && tc.runOn != RunOnOne, tc.runOn.ByNode())
		})
	}
}

func TestRunOnValidate(t *testing.T) {
	for _, ok := range []RunOn{RunOnAll, RunOnOne, RunOnEveryNode, RunOnAnyNode, "worker*", "worker$", "w?rk[a-z]*$",
		"ip-10-0-*.ec2.internal", RunOn(strings.Repeat("w", MaxRunOnBytes-1) + "$")} {
		assert.NoError(t, ok.Validate(), ok)
	}
	for runOn, want := range map[RunOn]string{
		"worker":   `runOn "worker": want all, one, or a node pattern such as worker* (every matching node) or worker$ (one matching node)`,
		"All":      `runOn "All": want all, one, or a node pattern such as all* (every matching node) or all$ (one matching node)`,
		"my node":  `runOn "my node": want all, one, or a node pattern such as worker* (every matching node) or worker$ (one matching node)`,
		"w$*":      `runOn "w$*": '$' may only end a node pattern (worker$: one node whose name starts with worker)`,
		"W*":       `runOn "W*": node patterns hold lower-case letters, digits, '-', '.', the glob characters * ? [ ] ^ and a final $ (node names are lower case)`,
		`w\*`:      `runOn "w\\*": node patterns hold lower-case letters, digits, '-', '.', the glob characters * ? [ ] ^ and a final $ (node names are lower case)`,
		"worker[$": `runOn "worker[$": invalid glob "worker[": want path.Match syntax (*, ?, [a-z], [^a-z])`,
		RunOn(strings.Repeat("w", MaxRunOnBytes) + "*"): "runOn is 254 bytes, over the limit of 253",
	} {
		assert.EqualError(t, runOn.Validate(), want)
	}
}

// TestRunOnAcceptedMeansValid: Parse accepts exactly the runOn values that
// Validate does, for every check type.
func TestRunOnAcceptedMeansValid(t *testing.T) {
	for _, runOn := range []string{"all", "one", "*", "$", "worker*", "worker$", "worker", "x[", "X*", "a$b"} {
		_, err := Parse([]byte("- {name: c, type: tcp, address: 'db:1', runOn: '" + runOn + "'}"))
		if verr := RunOn(runOn).Validate(); verr == nil {
			require.NoError(t, err, runOn)
		} else {
			require.Error(t, err, runOn)
			assert.Contains(t, err.Error(), `field "runOn"`)
		}
	}
}

func TestReservedLabel(t *testing.T) {
	for _, name := range []string{"check", "type", "display_name", "result", "code", "namespace", "pod", "node",
		"app", "instance", "job", "le", "__name__", "__anything", "peer_node", "peer_team", "exported_check"} {
		assert.True(t, ReservedLabel(name), name)
	}
	for _, name := range []string{"team", "tier", "owner", "severity", "_private", "checks", "nodes"} {
		assert.False(t, ReservedLabel(name), name)
	}
}

func TestDescriptiveFieldsOnEveryType(t *testing.T) {
	required := map[Type]string{
		TypeHTTP: "url: http://x/", TypeTCP: "address: 'x:1'", TypeDNS: "query: x.org",
		TypeTLS: "address: 'x:443'", TypeGRPC: "address: 'x:9090'",
	}
	for _, typ := range Types() {
		doc := "- {name: c, type: " + string(typ) + ", " + required[typ] +
			", runOn: 'pool-*$', displayName: 'C ✓', description: \"two\\nlines\", labels: {team: a, tier: '1'}}"
		specs, err := Parse([]byte(doc))
		require.NoError(t, err, doc)
		require.Len(t, specs, 1)
		s := specs[0]
		assert.Equal(t, RunOn("pool-*$"), s.RunOn)
		assert.Equal(t, "C ✓", s.DisplayName)
		assert.Equal(t, "two\nlines", s.Description)
		assert.Equal(t, map[string]string{"team": "a", "tier": "1"}, s.Labels)
	}
}

func TestDescriptiveDefaults(t *testing.T) {
	specs, err := Parse([]byte("- {name: a, type: tcp, address: 'x:1'}\n- {name: b, type: tcp, address: 'x:1', labels: {}}"))
	require.NoError(t, err)
	for _, s := range specs {
		assert.Empty(t, s.DisplayName)
		assert.Empty(t, s.Description)
		assert.Nil(t, s.Labels, "labels: {} is no labels, so that a JSON round trip keeps the check equal")
	}
}
