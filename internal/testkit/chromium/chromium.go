//go:build linux

// Package chromium runs a real headless Chromium for tests: it dumps a page's DOM
// after its scripts ran, or draws a screenshot. Tests find the browser with Find,
// which skips only where it cannot be installed.
package chromium

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// names are the names Debian, Ubuntu and Google give the browser.
var names = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// Browser is a headless Chromium run once per page: --dump-dom or --screenshot.
type Browser struct {
	path string
}

// Find returns the browser. Without one it skips the test where the
// browser cannot be installed (not root, or no apt-get), and fails it where
// ./hack/test-deps.sh would have installed it (root with apt-get) or under CI=true.
func Find(t *testing.T) Browser {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return Browser{path: path}
		}
	}
	msg := "no chromium in PATH: install Debian's chromium package (./hack/test-deps.sh does, as root)"
	_, aptErr := exec.LookPath("apt-get")
	if os.Getenv("CI") == "true" || (os.Geteuid() == 0 && aptErr == nil) {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping: not root or no apt-get, so it cannot be installed here")
	return Browser{}
}

// Run loads url in a fresh profile with the extra flags and returns stdout.
// Virtual time lets the page's fetches and scripts finish before the dump
// without a wall-clock wait. The browser and all its child processes are
// killed when the test's deadline (or 2 minutes) passes.
func (c Browser) Run(t *testing.T, url string, flags ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	args := append([]string{
		"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
		"--disable-background-networking", "--disable-component-update", "--disable-breakpad",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=8000",
	}, flags...)
	cmd := exec.CommandContext(ctx, c.path, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no state from the user's own profile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstderr (last 4 KiB):\n%s", c.path, err, tail(stderr.Bytes(), 4096))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chromium stderr (last 4 KiB):\n%s", tail(stderr.Bytes(), 4096))
		}
	})
	return stdout.Bytes()
}

// DumpDOM returns the page's DOM after its scripts ran, also saved as
// dom.html in the test's artifact directory (kept with go test -artifacts).
func (c Browser) DumpDOM(t *testing.T, url string) string {
	t.Helper()
	dom := c.Run(t, url, "--dump-dom")
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "dom.html"), dom, 0o644); err != nil {
		t.Errorf("saving the DOM: %v", err)
	}
	return string(dom)
}

// Screenshot draws the page at width × height pixels into file.
func (c Browser) Screenshot(t *testing.T, url, file string, width, height int) {
	t.Helper()
	c.Run(t, url, "--screenshot="+file, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--hide-scrollbars")
}

// Version is the browser's version line, for the test log.
func (c Browser) Version(t *testing.T) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), c.path, "--version").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return string(bytes.TrimSpace(out))
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
