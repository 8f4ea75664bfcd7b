package migrate

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// TestCredentialsNeverCopied: no password or token of the input reaches the
// output or a warning, and each one is replaced by a Secret file reference.
func TestCredentialsNeverCopied(t *testing.T) {
	data, err := os.ReadFile("testdata/epsitter/credentials.yaml")
	require.NoError(t, err)
	res, err := ConvertBytes(SourceEpsitter, data, Options{})
	require.NoError(t, err)
	var all bytes.Buffer
	all.Write(res.YAML)
	for _, w := range res.Warnings {
		all.WriteString(w.String())
	}
	for _, secret := range []string{"hunter2-SECRET-MARKER", "TOKEN-SECRET-MARKER", "URL-SECRET-MARKER", "SECRET-MARKER"} {
		assert.NotContains(t, all.String(), secret)
	}
	for _, file := range []string{"admin-api-password", "token-bearer-token", "userinfo-password"} {
		assert.Contains(t, string(res.YAML), "/etc/meshprobe/secrets/epsitter-credentials/"+file)
		assert.Contains(t, string(res.YAML), "--from-literal="+file+"='...'")
	}
}

// TestEpsitterOptions: the poll interval, the default timeout, the JSON
// payload encoding and the namespace are taken from the options.
func TestEpsitterOptions(t *testing.T) {
	in := []byte("urls:\n  api:\n    url: http://api/\n    method: post\n    payload: {b: 2, a: x y}\n")
	res, err := ConvertBytes(SourceEpsitter, in, Options{Namespace: "probes", EpsitterPollInterval: 10e9,
		EpsitterRequestTimeout: 2e9, EpsitterPayload: PayloadJSON})
	require.NoError(t, err)
	out := string(res.YAML)
	for _, want := range []string{"namespace: probes", "interval: 10s", "timeout: 2s",
		`body: '{"a":"x y","b":2}'`, "Content-Type: application/json", "method: POST"} {
		assert.Contains(t, out, want)
	}
	res, err = ConvertBytes(SourceEpsitter, in, Options{})
	require.NoError(t, err)
	assert.Contains(t, string(res.YAML), "body: a=x+y&b=2")
}

// TestNetworkProberTargets: httpTargets become checks of the pod annotation
// that spec.Parse accepts.
func TestNetworkProberTargets(t *testing.T) {
	var w warnings
	patch, err := podTemplatePatch(object{kind: networkProberKind, name: "np"}, []string{"http://a", "http://b/x"}, &w)
	require.NoError(t, err)
	assert.Empty(t, w.list)
	var p struct {
		Spec struct {
			Template struct {
				Metadata struct {
					Labels      map[string]string
					Annotations map[string]string
				}
			}
		}
	}
	require.NoError(t, jsonUnmarshal(patch, &p))
	assert.Equal(t, "true", p.Spec.Template.Metadata.Labels["meshprobe.io/inject"])
	checks, err := spec.Parse([]byte(p.Spec.Template.Metadata.Annotations["meshprobe.io/checks"]))
	require.NoError(t, err)
	require.Len(t, checks, 2)
	assert.Equal(t, "np-2", checks[1].Name)
	assert.Equal(t, "http://b/x", checks[1].URL)
}

// TestInputErrors: bad input is refused with an error naming the document,
// the object and the field.
func TestInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  Source
		in   string
		want string
	}{
		{"epsitter not yaml", SourceEpsitter, "urls: [", "invalid YAML"},
		{"epsitter no urls", SourceEpsitter, "foo: 1\n", `sitter.yaml: field "urls": required: a mapping of names to URLs`},
		{"epsitter urls list", SourceEpsitter, "urls: [a]\n", `field "urls": want a mapping, got a list`},
		{"epsitter two documents", SourceEpsitter, "urls: {a: {url: http://a}}\n---\nurls: {}\n", "want one YAML document (sitter.yaml), got 2"},
		{"epsitter timeout string", SourceEpsitter, "urls:\n  a: {url: http://a, timeout: soon}\n", `url "a": field "timeout": want a number of seconds, got a string`},
		{"epsitter timeout zero", SourceEpsitter, "urls:\n  a: {url: http://a, timeout: 0}\n", `url "a": field "timeout": 0 seconds: want more than 0`},
		{"epsitter header list", SourceEpsitter, "urls:\n  a: {url: http://a, headers: {x: [1]}}\n", `url "a": field "headers.x": want a string, got a list`},
		{"epsitter payload number", SourceEpsitter, "urls:\n  a: {url: http://a, payload: 3}\n", `url "a": field "payload": want a mapping or a string, got a number`},
		{"epsitter auth mapping", SourceEpsitter, "urls:\n  a: {url: http://a, auth_user: {x: 1}}\n", `field "auth_user": want a string, got a mapping`},
		{"epsitter duplicate key", SourceEpsitter, "urls:\n  a: {url: http://a}\n  a: {url: http://b}\n", "invalid YAML"},
		{"synheart no kind", SourceSyntheticHeart, "metadata: {name: x}\n", `document 1: field "kind": required`},
		{"synheart repeat", SourceSyntheticHeart, "kind: SyntheticTest\nmetadata: {name: x}\nspec: {plugin: dns, repeat: often}\n", `document 1 (SyntheticTest "x"): field "spec.repeat": invalid duration "often"`},
		{"synheart no repeat", SourceSyntheticHeart, "kind: SyntheticTest\nmetadata: {name: x}\nspec: {plugin: dns}\n", `field "spec.repeat": required`},
		{"synheart node type", SourceSyntheticHeart, "kind: SyntheticTest\nmetadata: {name: w}\nspec: {plugin: ping, repeat: 1m}\n---\nkind: SyntheticTest\nmetadata: {name: x}\nspec: {plugin: dns, repeat: 1m, node: [a]}\n", `document 2 (SyntheticTest "x"): field "spec.node": want a string, got a list`},
		{"synheart config", SourceSyntheticHeart, "kind: SyntheticTest\nmetadata: {name: x}\nspec: {plugin: dns, repeat: 1m, config: 'domains: x'}\n", `field "spec.config.domains": want a list, got a string`},
		{"synheart no domains", SourceSyntheticHeart, "kind: SyntheticTest\nmetadata: {name: x}\nspec: {plugin: dns, repeat: 1m}\n", `field "spec.config.domains": required`},
		{"synheart list item", SourceSyntheticHeart, "kind: List\nitems: [3]\n", `document 1: field "items[0]": want a Kubernetes object`},
		{"prober selector", SourceNetworkProber, "kind: NetworkProber\nmetadata: {name: x}\nspec: {podSelector: {matchExpressions: [{key: a, operator: Bad}]}}\n", `field "spec.podSelector": "Bad" is not a valid label selector operator`},
		{"prober no selector", SourceNetworkProber, "kind: NetworkProber\nmetadata: {name: x}\nspec: {httpTargets: []}\n", `field "spec.podSelector": required`},
		{"prober polling", SourceNetworkProber, "kind: NetworkProber\nmetadata: {name: x}\nspec: {podSelector: {a: b}, pollingPeriod: 10}\n", `field "spec.pollingPeriod": want a string, got a number`},
		{"unknown source", "goldpinger", "", `unknown source "goldpinger"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConvertBytes(tc.src, []byte(tc.in), Options{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestInputBound: input over MaxInputBytes is refused before it is parsed.
func TestInputBound(t *testing.T) {
	big := strings.NewReader("#" + strings.Repeat("x", MaxInputBytes))
	_, err := Convert(SourceEpsitter, big, Options{})
	require.ErrorContains(t, err, "over the limit of 4194304 bytes")
}

// TestSkippedWithWarnings: what has no equivalent is skipped with a warning
// naming the object and the field, and the rest is still converted.
func TestSkippedWithWarnings(t *testing.T) {
	in := "kind: SyntheticTest\nmetadata: {name: a}\nspec: {plugin: vaultAws, repeat: 1m}\n---\n" +
		"kind: SyntheticTest\nmetadata: {name: b}\nspec: {plugin: dns, repeat: 1m, node: Worker, config: 'domains: [x.org]'}\n---\n" +
		"kind: ConfigMap\nmetadata: {name: c}\n---\n" +
		"kind: SyntheticTest\nmetadata: {name: d}\nspec: {plugin: dns, repeat: 1m, config: 'domains: [x.org]'}\n"
	res, err := ConvertBytes(SourceSyntheticHeart, []byte(in), Options{})
	require.NoError(t, err)
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.String())
	}
	require.Len(t, got, 3)
	assert.Equal(t, `SyntheticTest "a": field "spec.plugin": skipped: plugin "vaultAws" has no meshprobe equivalent (meshprobe's check types: http, tcp, dns, tls, grpc)`, got[0])
	// The rest of the message is spec.Parse's own.
	assert.True(t, strings.HasPrefix(got[1], `SyntheticTest "b": skipped: the converted check is not valid: check "b": field "runOn": `), got[1])
	assert.Contains(t, got[1], "worker$ (one matching node)")
	assert.Equal(t, `ConfigMap "c": field "kind": skipped: not a SyntheticTest`, got[2])
	assert.Contains(t, string(res.YAML), "name: synthetic-heart-d")
	assert.NotContains(t, string(res.YAML), "synthetic-heart-b")
}
