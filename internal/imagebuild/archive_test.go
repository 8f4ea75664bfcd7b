package imagebuild

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteArchive: two images with the same layer, one of them under two refs,
// read back from the archive by ref.
func TestWriteArchive(t *testing.T) {
	a := testImage(t)
	a.Refs = []string{"example.test/app:v1", "example.test/app:latest"}
	b := a
	b.Refs = []string{"other.test/app:crash"}
	b.Entrypoint = []string{"/usr/bin/app", "--crash"}
	file := filepath.Join(t.TempDir(), "sub", "app.tar")
	require.NoError(t, WriteArchive(file, a, b))

	manifest, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
	require.NoError(t, err)
	require.Len(t, manifest, 2, "one entry per image")
	var tags []string
	for _, m := range manifest {
		tags = append(tags, m.RepoTags...)
	}
	assert.ElementsMatch(t, []string{"example.test/app:v1", "example.test/app:latest", "other.test/app:crash"}, tags)
	assert.Equal(t, manifest[0].Layers, manifest[1].Layers, "the shared layer is stored once")

	for _, spec := range []Image{a, b} {
		want, err := Build(spec)
		require.NoError(t, err)
		wantDigest, err := want.Digest()
		require.NoError(t, err)
		for _, ref := range spec.Refs {
			tag, err := name.NewTag(ref)
			require.NoError(t, err)
			got, err := tarball.ImageFromPath(file, &tag)
			require.NoError(t, err)
			gotDigest, err := got.Digest()
			require.NoError(t, err)
			assert.Equal(t, wantDigest, gotDigest, ref)
		}
	}
	_, err = os.Stat(file + ".tmp")
	assert.ErrorIs(t, err, os.ErrNotExist, "no temporary file left")
}

func TestWriteArchiveErrors(t *testing.T) {
	img := testImage(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		images []Image
		want   string
	}{
		{"no ref", []Image{{Files: img.Files}}, "an image without a ref"},
		{"bad ref", []Image{{Refs: []string{"Not A Ref"}, Files: img.Files}}, `image ref "Not A Ref"`},
		{"ref twice", []Image{img, img}, "given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, tc.name+".tar")
			err := WriteArchive(file, tc.images...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			_, err = os.Stat(file)
			assert.ErrorIs(t, err, os.ErrNotExist)
		})
	}
}
