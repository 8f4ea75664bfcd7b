package imagebuild

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entry is what a test checks of one layer entry.
type entry struct {
	Mode     int64
	UID, GID int
	Type     byte
	Content  string
	Xattrs   map[string]string
}

// layerEntries reads the flattened filesystem of img.
func layerEntries(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]entry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		e := entry{Mode: h.Mode, UID: h.Uid, GID: h.Gid, Type: h.Typeflag, Content: string(data)}
		for k, v := range h.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				if e.Xattrs == nil {
					e.Xattrs = map[string]string{}
				}
				e.Xattrs[name] = v
			}
		}
		out[path.Clean("/"+h.Name)] = e
	}
}

func testImage(t *testing.T) Image {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "app")
	require.NoError(t, os.WriteFile(bin, []byte("#!binary"), 0o755))
	return Image{
		Refs: []string{"example.test/app:v1"},
		Files: []File{
			{Path: "/usr/bin/app", Source: bin, Mode: 0o755, Xattrs: map[string]string{"security.capability": CapNetBindService}},
			{Path: "etc/motd", Content: []byte("hi\n"), Mode: 0o644},
			{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
			{Path: "/home/nonroot", Mode: fs.ModeDir | 0o700, UID: 65532, GID: 65532},
		},
		User:         "65532:65532",
		Entrypoint:   []string{"/usr/bin/app"},
		Cmd:          []string{"--serve"},
		Env:          []string{"A=1"},
		ExposedPorts: []string{"9443/tcp", "7946/udp"},
		Labels:       map[string]string{"team": "probes"},
		WorkingDir:   "/home/nonroot",
	}
}

func TestBuild(t *testing.T) {
	img, err := Build(testImage(t))
	require.NoError(t, err)

	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, "linux", cfg.OS)
	assert.Equal(t, runtime.GOARCH, cfg.Architecture)
	assert.Equal(t, v1.Config{
		User:         "65532:65532",
		Entrypoint:   []string{"/usr/bin/app"},
		Cmd:          []string{"--serve"},
		Env:          []string{"A=1"},
		ExposedPorts: map[string]struct{}{"9443/tcp": {}, "7946/udp": {}},
		Labels:       map[string]string{"team": "probes"},
		WorkingDir:   "/home/nonroot",
	}, cfg.Config)
	layers, err := img.Layers()
	require.NoError(t, err)
	assert.Len(t, layers, 1, "one layer")

	assert.Equal(t, map[string]entry{
		"/usr":          {Mode: 0o755, Type: tar.TypeDir},
		"/usr/bin":      {Mode: 0o755, Type: tar.TypeDir},
		"/usr/bin/app":  {Mode: 0o755, Type: tar.TypeReg, Content: "#!binary", Xattrs: map[string]string{"security.capability": CapNetBindService}},
		"/etc":          {Mode: 0o755, Type: tar.TypeDir},
		"/etc/motd":     {Mode: 0o644, Type: tar.TypeReg, Content: "hi\n"},
		"/tmp":          {Mode: 0o1777, Type: tar.TypeDir},
		"/home":         {Mode: 0o755, Type: tar.TypeDir},
		"/home/nonroot": {Mode: 0o700, UID: 65532, GID: 65532, Type: tar.TypeDir},
	}, layerEntries(t, img))
}

// TestBuildReproducible: the same inputs give the same digest, so rebuilding an
// unchanged image changes nothing in containerd.
func TestBuildReproducible(t *testing.T) {
	spec := testImage(t)
	a, err := Build(spec)
	require.NoError(t, err)
	b, err := Build(spec)
	require.NoError(t, err)
	da, err := a.Digest()
	require.NoError(t, err)
	db, err := b.Digest()
	require.NoError(t, err)
	assert.Equal(t, da, db)

	spec.Files[1].Content = []byte("changed\n")
	c, err := Build(spec)
	require.NoError(t, err)
	dc, err := c.Digest()
	require.NoError(t, err)
	assert.NotEqual(t, da, dc)
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []File
		want  string
	}{
		{"twice", []File{{Path: "/a", Mode: 0o644}, {Path: "a", Mode: 0o644}}, "/a listed twice"},
		{"root", []File{{Path: "/", Mode: fs.ModeDir | 0o755}}, "no path"},
		{"missing source", []File{{Path: "/a", Source: "/nonexistent/file", Mode: 0o644}}, "opening the source"},
		{"directory source", []File{{Path: "/a", Source: os.TempDir(), Mode: 0o644}}, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(Image{Refs: []string{"x.test/a:b"}, Files: tc.files})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
