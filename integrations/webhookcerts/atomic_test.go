package webhookcerts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteFiles(dir, map[string][]byte{"tls.crt": []byte("c1"), "tls.key": []byte("k1")}, 0o600))
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return string(b)
	}
	assert.Equal(t, "c1", read("tls.crt"))
	link, err := os.Readlink(filepath.Join(dir, "tls.crt"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("..data", "tls.crt"), link, "file names go through ..data, as in a Secret volume")

	before, err := os.Readlink(filepath.Join(dir, "..data"))
	require.NoError(t, err)
	require.NoError(t, WriteFiles(dir, map[string][]byte{"tls.crt": []byte("c2"), "tls.key": []byte("k2")}, 0o600))
	assert.Equal(t, "c2", read("tls.crt"))
	assert.Equal(t, "k2", read("tls.key"))
	after, err := os.Readlink(filepath.Join(dir, "..data"))
	require.NoError(t, err)
	assert.NotEqual(t, before, after, "a new version directory")
	_, err = os.Stat(filepath.Join(dir, before))
	assert.True(t, os.IsNotExist(err), "the old version is removed")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"..data", after, "tls.crt", "tls.key"}, names)
	info, err := os.Stat(filepath.Join(dir, "tls.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestWriteFilesReplacesPlainFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys"), []byte("old"), 0o644))
	require.NoError(t, WriteFiles(dir, map[string][]byte{"keys": []byte("new")}, 0o444))
	b, err := os.ReadFile(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))
}

func TestWriteFilesRejectsPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"../escape", "a/b", ".hidden", ""} {
		err := WriteFiles(dir, map[string][]byte{name: nil}, 0o600)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "want a plain name")
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), "..version-"), "a failed write leaves no version behind: %s", e.Name())
	}
}
