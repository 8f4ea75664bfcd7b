package promtest

import (
	"os"
	"os/exec"
	"testing"
)

// Binary returns the path of the named Prometheus tool ("prometheus" or "promtool").
// It skips t when the tool is missing, or fails it under CI=true.
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " not found in PATH: install Debian's prometheus package (./hack/test-deps.sh does, as root)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
