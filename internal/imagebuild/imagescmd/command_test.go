package imagescmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, 0, "Usage of meshprobe-images"},
		{"no version", []string{"--coredns", "/x"}, 2, "--version is required"},
		{"no coredns", []string{"--version", "v1"}, 2, "--coredns is required"},
		{"stray argument", []string{"--version", "v1", "--coredns", "/x", "extra"}, 2, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tc.code, Main(tc.args, &stdout, &stderr))
			assert.Contains(t, stderr.String(), tc.want)
			assert.Empty(t, stdout.String())
		})
	}
}

// TestRunOnly writes the archives --only names, from stand-in binaries, and
// prints their paths.
func TestRunOnly(t *testing.T) {
	bin, out := t.TempDir(), t.TempDir()
	for _, b := range []string{"meshprobe-localcluster", "thousandeyes-fake"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, b), []byte(b), 0o755))
	}
	var stdout, stderr bytes.Buffer
	code := Main([]string{"--root", "../../..", "--bin-dir", bin, "--out", out, "--version", "v1",
		"--only", "testapp,thousandeyes-fake"}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	want := []string{filepath.Join(out, "testapp.tar"), filepath.Join(out, "thousandeyes-fake.tar")}
	assert.Equal(t, want, strings.Fields(stdout.String()))
	for _, f := range want {
		assert.FileExists(t, f)
	}
	assert.Contains(t, stderr.String(), "meshprobe.io/testapp:crash")

	code = Main([]string{"--root", "../../..", "--bin-dir", bin, "--out", out, "--version", "v1",
		"--only", "meshprobe-sidecar"}, &stdout, &stderr)
	assert.Equal(t, 1, code, "no sidecar binary in --bin-dir")
	assert.Contains(t, stderr.String(), "meshprobe-sidecar")
}
