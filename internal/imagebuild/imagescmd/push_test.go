package imagescmd

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/imagebuild"
)

// authRegistry serves an in-process registry that requires basic auth as
// user:secret, and returns its host.
func authRegistry(t *testing.T) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// dockerLogin writes a docker config that holds host's credentials and points
// DOCKER_CONFIG at it, as `docker login` would.
func dockerLogin(t *testing.T, host, user, password string) {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	cfg := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600))
	t.Setenv("DOCKER_CONFIG", dir)
}

// TestRunPush pushes the published images as `make push` runs the command,
// with a static stand-in binary (the pause program) for the host's platform, to
// a registry that requires the credentials of the docker config.
func TestRunPush(t *testing.T) {
	host := authRegistry(t)
	platform := "linux/" + runtime.GOARCH
	bin := t.TempDir()
	dir := filepath.Join(bin, "linux_"+runtime.GOARCH)
	require.NoError(t, os.Mkdir(dir, 0o755))
	pause, err := imagebuild.BuildPause(t.Context(), "../../..", t.TempDir())
	require.NoError(t, err)
	for _, n := range imagebuild.PublishedImages() {
		require.NoError(t, os.Link(pause, filepath.Join(dir, n)))
	}
	args := []string{"--root", "../../..", "--push", "--platforms", platform, "--version", "v1",
		"--repo", host + "/meshprobe", "--bin-dir", bin}

	t.Run("without credentials", func(t *testing.T) {
		dockerLogin(t, host, "user", "wrong")
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 1, Main(args, &stdout, &stderr))
		assert.Contains(t, stderr.String(), "401 Unauthorized")
		assert.Empty(t, stdout.String())
	})
	t.Run("docker config", func(t *testing.T) {
		dockerLogin(t, host, "user", "secret")
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, Main(args, &stdout, &stderr), stderr.String())
		lines := strings.Fields(stdout.String())
		require.Len(t, lines, 4, "two images, two tags each")
		for i, ref := range []string{"meshprobe-webhook:v1", "meshprobe-webhook:latest", "meshprobe-sidecar:v1", "meshprobe-sidecar:latest"} {
			assert.Regexp(t, "^"+regexp.QuoteMeta(host+"/meshprobe/"+ref)+"@sha256:[0-9a-f]{64}$", lines[i])
		}
		tag, err := name.NewTag(host + "/meshprobe/meshprobe-sidecar:v1")
		require.NoError(t, err)
		idx, err := remote.Index(tag, remote.WithAuthFromKeychain(authn.DefaultKeychain))
		require.NoError(t, err)
		m, err := idx.IndexManifest()
		require.NoError(t, err)
		require.Len(t, m.Manifests, 1)
		assert.Equal(t, runtime.GOARCH, m.Manifests[0].Platform.Architecture)
	})
	t.Run("refusals", func(t *testing.T) {
		dockerLogin(t, host, "user", "secret")
		for _, tc := range []struct{ extra, want string }{
			{"--only=testapp", "only meshprobe-webhook, meshprobe-sidecar are published"},
			{"--platforms=darwin/arm64", "only linux/<arch> images are built"},
			{"--platforms=linux/amd64,linux/arm64,linux/s390x", "no such file"},
		} {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 1, Main(append(args, tc.extra), &stdout, &stderr), tc.extra)
			assert.Contains(t, stderr.String(), tc.want, tc.extra)
		}
	})
}
