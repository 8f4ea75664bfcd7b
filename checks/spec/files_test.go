package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProtectedDir(t *testing.T) {
	tests := []struct {
		path string
		dir  string
	}{
		{"/etc/meshprobe/gossip", "/etc/meshprobe/gossip"},
		{"/etc/meshprobe/gossip/keys", "/etc/meshprobe/gossip"},
		{"/etc/meshprobe//gossip/./keys", "/etc/meshprobe/gossip"},
		{"/etc/meshprobe/gossip/../gossip/keys", "/etc/meshprobe/gossip"},
		{"/tmp/../../etc/meshprobe/gossip/keys", "/etc/meshprobe/gossip"},
		{"/var/run/secrets/kubernetes.io/serviceaccount/token", "/var/run/secrets/kubernetes.io/serviceaccount"},
		{"/run/secrets/kubernetes.io/serviceaccount/ca.crt", "/run/secrets/kubernetes.io/serviceaccount"},
		{"/proc/1/root/etc/meshprobe/gossip/keys", "/proc"},
		{"/proc", "/proc"},
		{"/dev/fd/0", "/dev/fd"},
		// Not protected: neighbours, prefixes that are not directories, a path
		// that only passes through a protected directory.
		{"/etc/meshprobe/gossipers/token", ""},
		{"/etc/meshprobe/podinfo/labels", ""},
		{"/etc/meshprobe/gossip/../podinfo/labels", ""},
		{"/procedures/token", ""},
		{"/var/run/secrets/probe/password", ""},
		{"/etc/probe/ca.pem", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			dir, what, ok := ProtectedDir(tt.path)
			assert.Equal(t, tt.dir, dir)
			assert.Equal(t, tt.dir != "", ok)
			assert.Equal(t, tt.dir != "", what != "")
		})
	}
}

// TestReadFile: a file is read through symlinks, unless the file actually
// opened lies in a protected directory, whatever the link's own name.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(token, []byte("s3cret\n"), 0o600))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(token, link))
	b, err := ReadFile(link)
	require.NoError(t, err)
	assert.Equal(t, "s3cret\n", string(b))

	sneaky := filepath.Join(dir, "sneaky")
	require.NoError(t, os.Symlink("/proc/self/status", sneaky))
	_, err = ReadFile(sneaky)
	require.ErrorContains(t, err, sneaky+" is /proc/")
	require.ErrorContains(t, err, "in the proc filesystem (/proc): checks may not read meshprobe's own keys and tokens")

	_, err = ReadFile(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
