package clusterchecks

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// in is a source for the tests.
func in(cm, key, data string) Input {
	return Input{Source: Source{ConfigMap: cm, Key: key}, Data: data}
}

// httpCheck is one http check, as a list item.
func httpCheck(name string) string {
	return fmt.Sprintf("- name: %s\n  type: http\n  url: http://%s.example/\n", name, name)
}

// states is the outcomes as "<source> <state>".
func states(agg Aggregate) []string {
	var out []string
	for _, o := range agg.Outcomes {
		out = append(out, o.String()+" "+string(o.State))
	}
	return out
}

// names is the delivered checks' names.
func names(agg Aggregate) []string {
	var out []string
	for _, c := range agg.Checks {
		out = append(out, c.Name)
	}
	return out
}

// assertRoundTrip checks that agg.Data parses to the union, in order, of what
// spec.Parse returns for each valid source, and stays within Parse's limits.
func assertRoundTrip(t *testing.T, inputs []Input, agg Aggregate) {
	t.Helper()
	byKey := map[Source]string{}
	for _, in := range inputs {
		byKey[in.Source] = in.Data
	}
	var union []spec.Check
	for _, o := range agg.Outcomes {
		if o.State != StateValid {
			continue
		}
		checks, err := spec.Parse([]byte(byKey[o.Source]))
		require.NoError(t, err, o.Source)
		union = append(union, checks...)
	}
	got, err := spec.Parse([]byte(agg.Data))
	require.NoError(t, err, agg.Data)
	require.Len(t, got, len(union))
	for i := range got {
		require.True(t, reflect.DeepEqual(union[i], got[i]), "check %d:\n%+v\n%+v", i, union[i], got[i])
	}
	assert.True(t, reflect.DeepEqual(union, agg.Checks) || len(union) == 0 && len(agg.Checks) == 0)
	assert.LessOrEqual(t, len(agg.Data), spec.MaxAnnotationBytes)
}

func TestAggregate(t *testing.T) {
	for name, tc := range map[string]struct {
		inputs  []Input
		states  []string
		checks  []string
		problem map[string]string // by source: a part of its problem
	}{
		"nothing": {},
		"sources in order of ConfigMap name, key, position": {
			inputs: []Input{
				in("web", "b.yaml", httpCheck("w2")+httpCheck("w1")),
				in("api", "z.yaml", httpCheck("a3")),
				in("web", "a.yaml", httpCheck("w0")),
				in("api", "a.yaml", httpCheck("a1")+httpCheck("a2")),
			},
			states: []string{"api/a.yaml valid", "api/z.yaml valid", "web/a.yaml valid", "web/b.yaml valid"},
			checks: []string{"a1", "a2", "a3", "w0", "w2", "w1"},
		},
		"an invalid source is skipped, the others delivered": {
			inputs: []Input{
				in("a", "checks.yaml", httpCheck("one")),
				in("b", "checks.yaml", "- name: bad\n  type: http\n  url: ftp://x/\n"),
				in("c", "checks.yaml", httpCheck("three")),
			},
			states:  []string{"a/checks.yaml valid", "b/checks.yaml invalid", "c/checks.yaml valid"},
			checks:  []string{"one", "three"},
			problem: map[string]string{"b/checks.yaml": `check "bad": field "url"`},
		},
		"a duplicate name: the first source by name wins": {
			inputs: []Input{
				in("b", "checks.yaml", httpCheck("x")+httpCheck("shared")),
				in("a", "checks.yaml", httpCheck("shared")),
				in("c", "checks.yaml", httpCheck("why")),
			},
			states:  []string{"a/checks.yaml valid", "b/checks.yaml duplicate", "c/checks.yaml valid"},
			checks:  []string{"shared", "why"},
			problem: map[string]string{"b/checks.yaml": `check "shared" is already delivered from a/checks.yaml`},
		},
		"a duplicate within one source is invalid": {
			inputs:  []Input{in("a", "checks.yaml", httpCheck("x")+httpCheck("x"))},
			states:  []string{"a/checks.yaml invalid"},
			problem: map[string]string{"a/checks.yaml": "duplicate name"},
		},
		"empty and comment-only sources are valid and deliver nothing": {
			inputs: []Input{in("a", "empty", ""), in("a", "list", "[]"), in("a", "comment", "# later\n")},
			states: []string{"a/comment valid", "a/empty valid", "a/list valid"},
		},
		"binaryData": {
			inputs:  []Input{{Source: Source{ConfigMap: "a", Key: "bin"}, Binary: true}},
			states:  []string{"a/bin invalid"},
			problem: map[string]string{"a/bin": "binaryData"},
		},
		"a key over the annotation limit is not parsed": {
			inputs:  []Input{in("a", "big", httpCheck("x")+"#"+strings.Repeat("x", spec.MaxAnnotationBytes))},
			states:  []string{"a/big invalid"},
			problem: map[string]string{"a/big": "over the limit of 262144"},
		},
		"over the byte budget: skipped, smaller later sources still delivered": {
			inputs: []Input{
				in("a", "k", bodyCheck("big1", 150<<10)),
				in("b", "k", bodyCheck("big2", 150<<10)),
				in("c", "k", httpCheck("small")),
			},
			states:  []string{"a/k valid", "b/k over_budget", "c/k valid"},
			checks:  []string{"big1", "small"},
			problem: map[string]string{"b/k": "over the limit of 262144"},
		},
		"over the check budget": {
			inputs: []Input{
				in("a", "k", manyChecks("a", 600)),
				in("b", "k", manyChecks("b", 600)),
				in("c", "k", manyChecks("c", 400)),
			},
			states:  []string{"a/k valid", "b/k over_budget", "c/k valid"},
			problem: map[string]string{"b/k": "would take meshprobe-cluster-checks to 1200 checks, over the limit of 1000"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			agg, err := NewAggregator().Aggregate(tc.inputs)
			require.NoError(t, err)
			assert.Equal(t, tc.states, states(agg))
			if tc.checks != nil {
				assert.Equal(t, tc.checks, names(agg))
			}
			for _, o := range agg.Outcomes {
				if want, ok := tc.problem[o.String()]; ok {
					assert.Contains(t, o.Problem, want)
				} else {
					assert.Empty(t, o.Problem, o.Source)
				}
			}
			assertRoundTrip(t, tc.inputs, agg)
		})
	}
}

// bodyCheck is an http check with a request body of n bytes.
func bodyCheck(name string, n int) string {
	return httpCheck(name) + "  method: POST\n  body: " + strings.Repeat("b", n) + "\n"
}

// manyChecks is a source of n tcp checks, named prefix-<i>, in flow style.
func manyChecks(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "- {name: %s-%d, type: tcp, address: 'h:1'}\n", prefix, i)
	}
	return b.String()
}

func TestAggregateOutput(t *testing.T) {
	agg, err := NewAggregator().Aggregate(nil)
	require.NoError(t, err)
	assert.Equal(t, header+emptyList, agg.Data)

	src := "- {name: api, type: http, url: 'http://api/', interval: 1m}  # a comment\n"
	agg, err = NewAggregator().Aggregate([]Input{in("team-a", "checks.yaml", src)})
	require.NoError(t, err)
	assert.Equal(t, header+"# team-a/checks.yaml\n- interval: 1m\n  name: api\n  type: http\n  url: http://api/\n", agg.Data,
		"the fields the source sets, not its defaults, so the agents apply theirs")
}

// TestAggregateItemsReadBack: strings the YAML encoder does not write back
// faithfully still reach the agents unchanged.
func TestAggregateItemsReadBack(t *testing.T) {
	for name, body := range map[string]string{
		"next line":       "a\u0085b", // written as JSON: YAML reads U+0085 as a line break
		"line separator":  "a\u2028b",
		"long":            strings.Repeat("word ", 40),
		"trailing spaces": "line  \n  next \n",
		"tab and quotes":  "\t'\"x",
		"looks like YAML": "yes: no\n- [1]\n--- ...",
		"unicode":         "é\u200b\ufeff",
	} {
		t.Run(name, func(t *testing.T) {
			data := fmt.Sprintf("[{\"name\":\"b\",\"type\":\"http\",\"url\":\"http://x/\",\"method\":\"POST\",\"body\":%q}]", body)
			inputs := []Input{in("a", "k", data)}
			agg, err := NewAggregator().Aggregate(inputs)
			require.NoError(t, err)
			require.Equal(t, []string{"a/k valid"}, states(agg))
			assertRoundTrip(t, inputs, agg)
			assert.Equal(t, body, agg.Checks[0].Body)
		})
	}
	agg, err := NewAggregator().Aggregate([]Input{in("a", "k", `[{"name":"b","type":"tcp","address":"h:1","send":"\u0085é😀"}]`)})
	require.NoError(t, err)
	require.Equal(t, StateValid, agg.Outcomes[0].State, agg.Outcomes[0].Problem)
	assert.Contains(t, agg.Data, "\n"+`- {"address":"h:1","name":"b","send":"\u0085\u00e9\U0001f600","type":"tcp"}`+"\n",
		"an item the YAML encoder would change is written as a flow mapping of ASCII strings")
}

// TestAggregatorForgets: the parses of sources that are gone are dropped, and
// a changed source is parsed again.
func TestAggregatorForgets(t *testing.T) {
	a := NewAggregator()
	_, err := a.Aggregate([]Input{in("a", "k", httpCheck("x")), in("b", "k", httpCheck("why"))})
	require.NoError(t, err)
	assert.Len(t, a.memo, 2)
	agg, err := a.Aggregate([]Input{in("a", "k", httpCheck("z"))})
	require.NoError(t, err)
	assert.Len(t, a.memo, 1)
	assert.Equal(t, []string{"z"}, names(agg))
}

// FuzzAggregate aggregates two arbitrary sources: the output always parses to
// the union of the valid sources' checks and stays within the limits.
func FuzzAggregate(f *testing.F) {
	files, _ := filepath.Glob("../../checks/spec/testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(string(data), httpCheck("api"))
		}
	}
	f.Add(httpCheck("a"), httpCheck("a"))
	f.Add("[{\"name\":\"b\",\"type\":\"http\",\"url\":\"http://x/\",\"body\":\"\u2028\"}]", "")
	f.Add("- {name: n, type: tcp, address: 'h:1', send: \"a\\u0085b\"}\n", "- &a {name: x}\n- *a\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		inputs := []Input{in("a", "k", a), in("b", "k", b)}
		agg, err := NewAggregator().Aggregate(inputs)
		if err != nil {
			t.Fatalf("%v\nsources:\n%q\n%q", err, a, b)
		}
		assertRoundTrip(t, inputs, agg)
	})
}
