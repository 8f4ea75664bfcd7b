package imagebuild

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostCABundle is the CA bundle the images get in the containerd test.
const hostCABundle = "/etc/ssl/certs/ca-certificates.crt"

// TestContainerdImportAndRun imports an archive into a real containerd (a
// throwaway one in a temporary directory) with `ctr images import`, the way the
// local cluster's nodes get their images, and runs its images with runc: a probe
// on the stand-in base reports what a container sees (the image's user, working
// directory, env, account files and /tmp), and the pause image runs.
func TestContainerdImportAndRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to run a throwaway containerd and runc")
	}
	for _, b := range []string{"containerd", "ctr", "runc", "containerd-shim-runc-v2"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("skipped: no %s (hack/test-deps.sh installs containerd and runc as root): %v", b, err)
		}
	}
	dir := t.TempDir()
	probe := goBuild(t, "./testdata/probe", filepath.Join(dir, "probe"))
	pause, err := BuildPause(t.Context(), repoRoot, dir)
	require.NoError(t, err)
	base := NonrootBase(hostCABundle)
	probeImage := Image{
		Refs:       []string{"meshprobe.local/probe:test"},
		Files:      append(base.Files, File{Path: "/probe", Source: probe, Mode: 0o755}),
		User:       "65532:65532",
		Entrypoint: []string{"/probe"},
		Env:        base.Env,
		WorkingDir: base.WorkingDir,
	}
	archive := filepath.Join(dir, "images.tar")
	require.NoError(t, WriteArchive(archive, probeImage, Project{CABundle: hostCABundle, Pause: pause}.pauseImage()))

	sock := startContainerd(t, filepath.Join(dir, "containerd"))
	ctr(t, sock, "images", "import", archive)
	assert.Subset(t, strings.Fields(ctr(t, sock, "images", "ls", "-q")), []string{"meshprobe.local/probe:test", PauseImage})

	var r struct {
		UID, GID  int
		Dir       string
		Env       []string
		User65532 string
		Paths     map[string]struct {
			Mode     string
			UID, GID uint32
			Err      string
		}
	}
	out := ctr(t, sock, "run", "--rm", "meshprobe.local/probe:test", "probe-"+t.Name())
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	assert.Equal(t, 65532, r.UID, "the image's USER")
	assert.Equal(t, 65532, r.GID)
	assert.Equal(t, "/home/nonroot", r.Dir)
	assert.Contains(t, r.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
	assert.Equal(t, "nonroot:/home/nonroot", r.User65532, "/etc/passwd resolves 65532")
	assert.Equal(t, "dtrwxrwxrwx", r.Paths["/tmp"].Mode)
	assert.Equal(t, "drwx------", r.Paths["/home/nonroot"].Mode)
	assert.Equal(t, uint32(65532), r.Paths["/home/nonroot"].UID)
	assert.Equal(t, "-rw-r--r--", r.Paths["/etc/ssl/certs/ca-certificates.crt"].Mode)
	assert.Equal(t, "-rwxr-xr-x", r.Paths["/probe"].Mode)

	out = ctr(t, sock, "run", "--rm", PauseImage, "pause-"+t.Name(), "/pause", "-v")
	assert.Contains(t, out, "pause (meshprobe local cluster)")
}

// goBuild builds a static binary of pkg to out.
func goBuild(t *testing.T, pkg, out string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, msg)
	return out
}

// startContainerd runs containerd with its root, state, socket and config in dir
// (the CRI plugin off) until the test ends, and returns its socket.
func startContainerd(t *testing.T, dir string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	sock := filepath.Join(dir, "containerd.sock")
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc", filepath.Join(dir, "opt"))
	configFile := filepath.Join(dir, "config.toml")
	require.NoError(t, os.WriteFile(configFile, []byte(config), 0o600))

	cmd := exec.Command("containerd", "--config", configFile)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var logs bytes.Buffer
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "containerd successfully booted") {
				close(ready)
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("containerd log:\n%s", logs.String())
		}
	})
	select {
	case <-ready:
	case <-done:
		t.Fatalf("containerd exited before it booted:\n%s", logs.String())
	case <-time.After(time.Minute):
		t.Fatal("containerd did not boot within a minute")
	}
	return sock
}

// ctr runs `ctr -a sock -n k8s.io args...` and returns its output.
func ctr(t *testing.T, sock string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "ctr", append([]string{"-a", sock, "-n", "k8s.io"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "ctr %s: %s%s", strings.Join(args, " "), out, stderr.String())
	return string(out)
}
