package migrate

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runMain runs the CLI and returns its exit code, stdout and stderr.
func runMain(stdin string, args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := Main(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestMainConvert(t *testing.T) {
	golden, err := os.ReadFile("testdata/epsitter/credentials.golden")
	require.NoError(t, err)
	code, out, errOut := runMain("", "convert", "--from", "epsitter", "-f", "testdata/epsitter/credentials.yaml")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, strings.Replace(string(golden), "-f credentials.yaml", "-f testdata/epsitter/credentials.yaml", 1), out)
	warnings, err := os.ReadFile("testdata/epsitter/credentials.stderr")
	require.NoError(t, err)
	assert.Equal(t, string(warnings), errOut)

	code, out, errOut = runMain("urls: {a: {url: http://a}}\n", "convert", "--from=epsitter")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "-f -\n")
	assert.Empty(t, errOut)
}

func TestMainErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{nil, "", 2, "Usage:"},
		{[]string{"-h"}, "", 0, "--from"},
		{[]string{"lint"}, "", 2, `unknown command "lint"`},
		{[]string{"convert"}, "", 2, "--from is required"},
		{[]string{"convert", "--from", "epsitter", "extra"}, "", 2, `unexpected argument "extra"`},
		{[]string{"convert", "--from", "synthetic-heart", "--payload", "json"}, "", 2, "--payload applies only to --from epsitter"},
		{[]string{"convert", "--from", "epsitter", "--payload", "xml"}, "urls: {a: {url: http://a}}", 1, `payload encoding "xml": want form or json`},
		{[]string{"convert", "--from", "epsitter", "-f", "testdata/missing.yaml"}, "", 1, "opening the input"},
		{[]string{"convert", "--from", "nagios"}, "", 1, `standard input: unknown source "nagios"`},
		{[]string{"convert", "--from", "epsitter"}, "urls: 3", 1, `meshprobe convert: standard input: sitter.yaml: field "urls": want a mapping, got a number`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runMain(tc.stdin, tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, errOut, tc.stderr)
			assert.Empty(t, out)
		})
	}
}
