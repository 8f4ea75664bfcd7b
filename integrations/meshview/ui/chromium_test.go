//go:build linux

package ui_test

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

// chromiumNames are the names Debian, Ubuntu and Google give the browser.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// chromium is a headless browser run once per page: --dump-dom or --screenshot.
type chromium struct {
	path string
}

// findChromium returns the browser. Without one it skips the test where the
// browser cannot be installed (not root, or no apt-get), and fails it where
// ./hack/test-deps.sh would have installed it (root with apt-get) or under CI=true.
func findChromium(t *testing.T) chromium {
	t.Helper()
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return chromium{path: path}
		}
	}
	msg := "no chromium in PATH: install Debian's chromium package (./hack/test-deps.sh does, as root)"
	_, aptErr := exec.LookPath("apt-get")
	if os.Getenv("CI") == "true" || (os.Geteuid() == 0 && aptErr == nil) {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping: not root or no apt-get, so it cannot be installed here")
	return chromium{}
}

// run loads url in a fresh profile with the extra flags and returns stdout.
// Virtual time lets the page's fetches and scripts finish before the dump
// without a wall-clock wait. The browser and all its child processes are
// killed when the test's deadline (or 2 minutes) passes.
func (c chromium) run(t *testing.T, url string, flags ...string) []byte {
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

// dumpDOM returns the page's DOM after its scripts ran, also saved as
// dom.html in the test's artifact directory (kept with go test -artifacts).
func (c chromium) dumpDOM(t *testing.T, url string) string {
	t.Helper()
	dom := c.run(t, url, "--dump-dom")
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "dom.html"), dom, 0o644); err != nil {
		t.Errorf("saving the DOM: %v", err)
	}
	return string(dom)
}

// screenshot draws the page at width × height pixels into file.
func (c chromium) screenshot(t *testing.T, url, file string, width, height int) {
	t.Helper()
	c.run(t, url, "--screenshot="+file, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--hide-scrollbars")
}

// version is the browser's version line, for the test log.
func (c chromium) version(t *testing.T) string {
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
