package imagebuild

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the repository root, seen from this package.
const repoRoot = "../.."

// testProject is the project with stand-in binaries (each file holds its own
// name), written to archives in a temporary directory.
func testProject(t *testing.T) (Project, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("binary "+name), 0o755))
		return p
	}
	for _, b := range []string{"meshprobe-webhook", "meshprobe-sidecar", "meshprobe-localcluster", "thousandeyes-fake"} {
		write(b)
	}
	p := Project{
		Root: repoRoot, BinDir: dir, Version: "v0.0.0-test", Repo: "ghcr.io/meshprobe",
		CABundle: write("ca.crt"), Pause: write("pause"), CoreDNS: write("coredns"), CoreDNSVersion: "1.15.0",
	}
	archives, err := p.Archives()
	require.NoError(t, err)
	files := map[string]string{}
	out := t.TempDir()
	for _, a := range archives {
		files[a.Name] = filepath.Join(out, a.Name+".tar")
		require.NoError(t, WriteArchive(files[a.Name], a.Images...))
	}
	return p, files
}

// loadImage reads the image named ref from an archive.
func loadImage(t *testing.T, file, ref string) v1.Image {
	t.Helper()
	tag, err := name.NewTag(ref)
	require.NoError(t, err)
	img, err := tarball.ImageFromPath(file, &tag)
	require.NoError(t, err, "%s in %s", ref, file)
	return img
}

// finalStage is what a reader of a Dockerfile sees in its last stage, read here
// line by line, apart from the parser the images are built with.
type finalStage struct {
	from, user string
	entrypoint []string
	ports      []string
	labels     map[string]string
	copies     map[string]string // in-image path -> source file name
}

func readFinalStage(t *testing.T, file string) finalStage {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	text := string(data)
	text = text[strings.LastIndex(text, "\nFROM ")+1:]
	st := finalStage{labels: map[string]string{}, copies: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		instr, rest, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		f := strings.Fields(rest)
		switch instr {
		case "FROM":
			st.from = f[0]
		case "USER":
			st.user = rest
		case "ENTRYPOINT":
			require.NoError(t, json.Unmarshal([]byte(rest), &st.entrypoint), "exec-form ENTRYPOINT")
		case "EXPOSE":
			for _, p := range f {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				st.ports = append(st.ports, p)
			}
		case "LABEL":
			for _, kv := range f {
				k, v, _ := strings.Cut(kv, "=")
				st.labels[k] = strings.Trim(v, `"`)
			}
		case "COPY":
			st.copies[f[len(f)-1]] = filepath.Base(f[len(f)-2])
		}
	}
	return st
}

// files lists the regular files of img with their content.
func regularFiles(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	out := map[string]string{}
	for p, e := range layerEntries(t, img) {
		if e.Type != '0' {
			continue
		}
		out[p] = e.Content
	}
	return out
}

// TestDockerfilesAndImages reads Dockerfile.webhook and Dockerfile.sidecar and
// the images built from them, and compares the two: base, user, entrypoint,
// ports, labels and files. The images must say what the Dockerfiles say.
func TestDockerfilesAndImages(t *testing.T) {
	p, archives := testProject(t)
	for _, name := range []string{"webhook", "sidecar"} {
		t.Run(name, func(t *testing.T) {
			want := readFinalStage(t, filepath.Join(repoRoot, "Dockerfile."+name))
			assert.Equal(t, DistrolessStaticNonroot, want.from, "the base the stand-in is for")
			for _, ref := range p.own("meshprobe-" + name) {
				img := loadImage(t, archives["meshprobe-"+name], ref)
				wantFiles := map[string]string{}
				for dest, src := range want.copies {
					wantFiles[dest] = "binary " + src
				}
				assertFinalStage(t, want, img, "binary ca.crt", wantFiles)
			}
		})
	}
}

// assertFinalStage compares img with the Dockerfile's final stage want: user,
// entrypoint, ports, labels, the base's working directory and env, and the files:
// the base's (with the CA bundle caBundle) and copies, each COPY destination with
// its content.
func assertFinalStage(t *testing.T, want finalStage, img v1.Image, caBundle string, copies map[string]string) {
	t.Helper()
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	c := cfg.Config
	assert.Equal(t, want.user, c.User, "USER")
	assert.Equal(t, want.entrypoint, c.Entrypoint, "ENTRYPOINT")
	assert.Empty(t, c.Cmd, "CMD")
	got := sortedKeys(c.ExposedPorts)
	sort.Strings(want.ports)
	assert.Equal(t, want.ports, got, "EXPOSE")
	if len(want.labels) == 0 {
		assert.Empty(t, c.Labels, "LABEL")
	} else {
		assert.Equal(t, want.labels, c.Labels, "LABEL")
	}
	assert.Equal(t, "/home/nonroot", c.WorkingDir, "the base's working directory")
	assert.Contains(t, c.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "the base's env")

	wantFiles := map[string]string{
		"/etc/passwd": passwd, "/etc/group": group, "/etc/nsswitch.conf": nsswitch,
		"/etc/ssl/certs/ca-certificates.crt": caBundle,
	}
	require.Len(t, copies, len(want.copies), "a content for each COPY")
	for dest := range want.copies {
		wantFiles[dest] = copies[dest]
	}
	gotFiles := regularFiles(t, img)
	assert.Equal(t, sortedKeys(setOf(wantFiles)), sortedKeys(setOf(gotFiles)), "files: the base's and the COPYs'")
	for f, content := range wantFiles {
		assert.True(t, content == gotFiles[f], "content of %s", f) // not assert.Equal: binaries are large
	}
}

func setOf(m map[string]string) map[string]struct{} {
	out := map[string]struct{}{}
	for k := range m {
		out[k] = struct{}{}
	}
	return out
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDockerfileBuildStages checks the build rules the two Dockerfiles must keep,
// in order, in the text (no Docker engine needed): a cached module download, a
// static stripped build with the version stamped, a distroless nonroot runtime
// stage with a numeric user.
func TestDockerfileBuildStages(t *testing.T) {
	for _, name := range []string{"webhook", "sidecar"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile."+name))
			require.NoError(t, err)
			text := string(data)
			order := []string{
				"FROM golang:",
				"COPY go.mod go.sum ./",
				"RUN go mod download",
				"COPY . .",
				"CGO_ENABLED=0",
				"go build -trimpath",
				`-ldflags "-s -w -X github.com/meshprobe/meshprobe/internal/buildinfo.version=${VERSION}"`,
				"./cmd/meshprobe-" + name,
				"FROM " + DistrolessStaticNonroot,
				"USER 65532:65532",
				`ENTRYPOINT ["/meshprobe-` + name + `"]`,
			}
			at := 0
			for _, want := range order {
				i := strings.Index(text[at:], want)
				require.GreaterOrEqual(t, i, 0, "Dockerfile.%s: %q missing or out of order", name, want)
				at += i + len(want)
			}
			assert.Equal(t, 2, strings.Count(text, "\nFROM "), "multi-stage: a build stage and a runtime stage")
		})
	}
}

// TestManifestImagesAreBuilt: every image that manifests/ and the e2e overlay
// deploy is in an archive, as is the webhook's default sidecar image.
func TestManifestImagesAreBuilt(t *testing.T) {
	p, archives := testProject(t)
	built := map[string]bool{}
	all, err := p.Archives()
	require.NoError(t, err)
	for _, a := range all {
		for _, img := range a.Images {
			for _, r := range img.Refs {
				built[r] = true
				loadImage(t, archives[a.Name], r)
			}
		}
	}
	imageLine := regexp.MustCompile(`(?m)^\s*(?:-\s+)?image:\s*(\S+)`)
	var deployed []string
	for _, dir := range []string{"manifests", "e2e/testdata/overlay"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
				return err
			}
			data, err := os.ReadFile(path)
			for _, m := range imageLine.FindAllStringSubmatch(string(data), -1) {
				deployed = append(deployed, m[1])
			}
			return err
		})
		require.NoError(t, err)
	}
	require.NotEmpty(t, deployed)
	deployed = append(deployed, p.Repo+"/meshprobe-sidecar:"+p.Version)
	for _, ref := range deployed {
		assert.True(t, built[ref], "%s is deployed but not built", ref)
	}
}

// TestKindImages: the kind/Dockerfile.e2e targets become the test app (serving
// and crashing) and the ThousandEyes fake, as kind/e2e.sh tags them.
func TestKindImages(t *testing.T) {
	_, archives := testProject(t)
	for _, tc := range []struct {
		archive, ref string
		entrypoint   []string
		file         string
	}{
		{"testapp", "meshprobe.io/testapp:e2e", []string{"/meshprobe-localcluster", "testapp"}, "/meshprobe-localcluster"},
		{"testapp", "meshprobe.io/testapp:crash", []string{"/meshprobe-localcluster", "testapp", "--crash"}, "/meshprobe-localcluster"},
		{"thousandeyes-fake", "ghcr.io/meshprobe/thousandeyes-fake:latest", []string{"/thousandeyes-fake"}, "/thousandeyes-fake"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			img := loadImage(t, archives[tc.archive], tc.ref)
			cfg, err := img.ConfigFile()
			require.NoError(t, err)
			assert.Equal(t, tc.entrypoint, cfg.Config.Entrypoint)
			assert.Equal(t, "65532:65532", cfg.Config.User)
			assert.Equal(t, "binary "+filepath.Base(tc.file), regularFiles(t, img)[tc.file])
		})
	}
}

// TestPauseAndCoreDNSImages: the images that no project Dockerfile describes.
func TestPauseAndCoreDNSImages(t *testing.T) {
	_, archives := testProject(t)

	pause := loadImage(t, archives["pause"], PauseImage)
	cfg, err := pause.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, []string{"/pause"}, cfg.Config.Entrypoint)
	assert.Equal(t, "65535:65535", cfg.Config.User, "as registry.k8s.io/pause")
	entries := layerEntries(t, pause)
	assert.Equal(t, "binary pause", entries["/pause"].Content)
	assert.Equal(t, int64(0o755), entries["/pause"].Mode)

	coredns := loadImage(t, archives["coredns"], CoreDNSRepo+":1.15.0")
	cfg, err = coredns.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, []string{"/coredns"}, cfg.Config.Entrypoint)
	assert.Equal(t, "65532:65532", cfg.Config.User)
	assert.Equal(t, "/", cfg.Config.WorkingDir)
	assert.Equal(t, map[string]struct{}{"53/tcp": {}, "53/udp": {}}, cfg.Config.ExposedPorts)
	entries = layerEntries(t, coredns)
	assert.Equal(t, map[string]string{"security.capability": CapNetBindService}, entries["/coredns"].Xattrs,
		"cap_net_bind_service, as upstream's setcap")
	assert.Equal(t, int64(0o1777), entries["/tmp"].Mode)
	assert.Equal(t, 65532, entries["/home/nonroot"].UID)
}

func TestCoreDNSVersion(t *testing.T) {
	dir := t.TempDir()
	script := func(name, out string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\nprintf '"+out+"'\n"), 0o755))
		return p
	}
	v, err := CoreDNSVersion(t.Context(), script("coredns", `CoreDNS-1.15.0\nlinux/amd64, go1.26.8, v1.15.0\n`))
	require.NoError(t, err)
	assert.Equal(t, "1.15.0", v)
	_, err = CoreDNSVersion(t.Context(), script("other", `something else\n`))
	assert.ErrorContains(t, err, "not CoreDNS-<version>")
	_, err = CoreDNSVersion(t.Context(), filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func TestArchivesErrors(t *testing.T) {
	p, _ := testProject(t)
	_, err := p.Archives("nosuch")
	assert.ErrorContains(t, err, `no archive "nosuch": the archives are meshprobe-webhook, `)
	noPause := p
	noPause.Pause = ""
	_, err = noPause.Archives("pause")
	assert.ErrorContains(t, err, "needs the pause binary")
	_, err = noPause.Archives("testapp", "coredns")
	assert.NoError(t, err, "archives without pause need no pause binary")
	noVersion := p
	noVersion.Version = ""
	_, err = noVersion.Archives()
	assert.ErrorContains(t, err, "need a version")
	missing := p
	missing.BinDir = t.TempDir()
	_, err = missing.Archives("meshprobe-sidecar")
	assert.ErrorContains(t, err, "Dockerfile.sidecar: the final stage: COPY /out/meshprobe-sidecar /meshprobe-sidecar")
}

// TestMakeBuildMatchesDockerfiles: `make images` packs the binaries of `make
// build`, so those must be built as the Dockerfiles' build stages build them:
// static, -trimpath, and the same -ldflags (stripped, version stamped).
func TestMakeBuildMatchesDockerfiles(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	require.NoError(t, err)
	makefile := string(data)
	ldflags := regexp.MustCompile(`(?m)^LDFLAGS\s*:?=\s*(.*)$`).FindStringSubmatch(makefile)
	require.NotNil(t, ldflags, "Makefile: LDFLAGS")
	assert.Contains(t, makefile, `CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/`, "Makefile: the build recipe")
	assert.Contains(t, makefile, `GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"`,
		"Makefile: the push recipe cross-compiles alike")
	for _, name := range []string{"webhook", "sidecar"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile."+name))
		require.NoError(t, err)
		m := regexp.MustCompile(`-ldflags "([^"]*)"`).FindStringSubmatch(string(data))
		require.NotNil(t, m, "Dockerfile.%s: -ldflags", name)
		assert.Equal(t, strings.ReplaceAll(m[1], "${VERSION}", "$(VERSION)"), strings.TrimSpace(ldflags[1]),
			"Dockerfile.%s and the Makefile link alike", name)
	}
}
