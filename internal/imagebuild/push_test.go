package imagebuild

import (
	"bytes"
	"debug/elf"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pushVersion stamps the binaries the push tests build.
const pushVersion = "v0.0.0-push"

// crossBuild builds the published images' binaries for each platform into
// dir/<os>_<arch>, as `make push` does: static, -trimpath, the Makefile's
// -ldflags with version pushVersion. It runs at a lower CPU priority.
func crossBuild(t *testing.T, dir string, platforms []Platform) {
	t.Helper()
	ldflags := "-s -w -X github.com/meshprobe/meshprobe/internal/buildinfo.version=" + pushVersion
	for _, p := range platforms {
		args := []string{"-n", "10", "go", "build", "-trimpath", "-ldflags", ldflags,
			"-o", filepath.Join(dir, p.Dir()) + "/"}
		for _, n := range PublishedImages() {
			args = append(args, "./cmd/"+n)
		}
		cmd := exec.CommandContext(t.Context(), "nice", args...)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "cross-compiling for %s: %s", p, out)
	}
}

// testRegistry serves go-containerregistry's in-process registry and returns
// the repository path of meshprobe's images on it.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://") + "/meshprobe"
}

// TestPush pushes the published images as `make push` does, built from
// cross-compiled binaries, to an in-process registry, pulls each index back and
// checks it: one manifest per platform, each config of its platform and as the
// Dockerfile's final stage says, each binary an ELF of its platform's machine.
// With -short only the amd64 binaries are built (cross-compiling for arm64 costs
// minutes on a small machine).
func TestPush(t *testing.T) {
	platforms := []Platform{{"linux", "amd64"}, {"linux", "arm64"}}
	if testing.Short() {
		platforms = platforms[:1]
	}
	bin := t.TempDir()
	crossBuild(t, bin, platforms)
	p := Project{Root: repoRoot, BinDir: bin, Version: pushVersion, Repo: testRegistry(t),
		CABundle: writeFile(t, "ca.crt", "a CA bundle")}

	for _, n := range PublishedImages() {
		t.Run(n, func(t *testing.T) {
			pushed, err := p.Push(t.Context(), n, PushOptions{Platforms: platforms})
			require.NoError(t, err)
			require.Len(t, pushed, 2)
			for i, ref := range p.own(n) {
				assert.Equal(t, ref, pushed[i].Ref)
				assert.Equal(t, pushed[0].Digest, pushed[i].Digest, "every tag names the same index")
				desc, err := remote.Head(mustTag(t, ref))
				require.NoError(t, err)
				assert.Equal(t, pushed[0].Digest, desc.Digest, "%s in the registry", ref)
			}
			assertPushedIndex(t, p, n, platforms)
		})
	}

	t.Run("binary of another architecture", func(t *testing.T) {
		wrong := p
		wrong.BinDir = t.TempDir()
		arm := Platform{"linux", "arm64"}
		require.NoError(t, os.Mkdir(filepath.Join(wrong.BinDir, arm.Dir()), 0o755))
		for _, n := range PublishedImages() {
			require.NoError(t, os.Link(filepath.Join(bin, "linux_amd64", n), filepath.Join(wrong.BinDir, arm.Dir(), n)))
		}
		_, err := wrong.Push(t.Context(), "meshprobe-sidecar", PushOptions{Platforms: []Platform{arm}})
		assert.ErrorContains(t, err, "meshprobe-sidecar for linux/arm64: ")
		assert.ErrorContains(t, err, "is built for EM_X86_64, not arm64")
	})
}

// assertPushedIndex pulls the index of the image n and checks each platform's
// image.
func assertPushedIndex(t *testing.T, p Project, n string, platforms []Platform) {
	t.Helper()
	idx, err := remote.Index(mustTag(t, p.own(n)[0]))
	require.NoError(t, err)
	mt, err := idx.MediaType()
	require.NoError(t, err)
	assert.Equal(t, types.OCIImageIndex, mt)
	manifest, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, manifest.Manifests, len(platforms), "one manifest per platform")
	want := readFinalStage(t, filepath.Join(repoRoot, "Dockerfile."+strings.TrimPrefix(n, "meshprobe-")))
	for i, plat := range platforms {
		desc := manifest.Manifests[i]
		assert.Equal(t, &v1.Platform{OS: plat.OS, Architecture: plat.Arch}, desc.Platform, "descriptor %d", i)
		assert.Equal(t, types.OCIManifestSchema1, desc.MediaType)
		img, err := idx.Image(desc.Digest)
		require.NoError(t, err)
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		assert.Equal(t, plat.OS, cfg.OS, "config os of %s", plat)
		assert.Equal(t, plat.Arch, cfg.Architecture, "config architecture of %s", plat)
		assert.Equal(t, "65532:65532", cfg.Config.User)

		binary := "/" + n
		host, err := os.ReadFile(filepath.Join(p.BinDir, plat.Dir(), n))
		require.NoError(t, err)
		assertFinalStage(t, want, img, "a CA bundle", map[string]string{binary: string(host)})
		assertELF(t, []byte(regularFiles(t, img)[binary]), plat)
	}
}

// assertELF checks that data is a static ELF executable for p's machine.
func assertELF(t *testing.T, data []byte, p Platform) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	require.NoError(t, err, "the binary in the %s image", p)
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[p.Arch]
	assert.Equal(t, want, f.Machine, "the binary in the %s image", p)
	assert.Equal(t, elf.ET_EXEC, f.Type)
	for _, prog := range f.Progs {
		assert.NotEqual(t, elf.PT_INTERP, prog.Type, "a static binary has no interpreter")
	}
}

func mustTag(t *testing.T, ref string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(ref)
	require.NoError(t, err)
	return tag
}

// writeFile writes content to a file called name in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestParsePlatforms(t *testing.T) {
	got, err := ParsePlatforms("linux/amd64,linux/arm64")
	require.NoError(t, err)
	assert.Equal(t, []Platform{{"linux", "amd64"}, {"linux", "arm64"}}, got)
	got, err = ParsePlatforms(" linux/arm64  linux/amd64 ")
	require.NoError(t, err, "the Makefile's space-separated PLATFORMS")
	assert.Equal(t, []Platform{{"linux", "arm64"}, {"linux", "amd64"}}, got)
	for in, want := range map[string]string{
		"":                        "no platforms",
		"darwin/arm64":            "only linux/<arch>",
		"linux/mips":              `unknown architecture "mips"`,
		"linux/amd64,linux/amd64": "linux/amd64 given twice",
	} {
		_, err := ParsePlatforms(in)
		assert.ErrorContains(t, err, want, "%q", in)
	}
}

func TestPushRefusals(t *testing.T) {
	p, _ := testProject(t)
	_, err := p.Push(t.Context(), "testapp", PushOptions{Platforms: []Platform{{"linux", "amd64"}}})
	assert.ErrorContains(t, err, "only meshprobe-webhook, meshprobe-sidecar are published")
	_, err = p.Push(t.Context(), "meshprobe-webhook", PushOptions{})
	assert.ErrorContains(t, err, "no platforms")
	_, err = p.Push(t.Context(), "meshprobe-webhook", PushOptions{Platforms: []Platform{{"linux", "amd64"}}})
	assert.ErrorContains(t, err, "no such file", "no BinDir/linux_amd64")
}
