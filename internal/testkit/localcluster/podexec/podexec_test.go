package podexec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podexec"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podnet"
)

// The test binary doubles as the helper: `<test binary> pod-exec ...`.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == podexec.Subcommand {
		os.Exit(podexec.Main(os.Args[2:], os.Stderr))
	}
	os.Exit(m.Run())
}

func TestContainerSeesItsNamespacesMountsAndUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("podexec: needs root (network and mount namespaces)")
	}
	net, err := podnet.NewBridge("pe"+strings.ReplaceAll(t.Name(), "Test", "")[:4], "10.252.0.0/16")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, net.Close()) })
	netns, err := net.AddPod("ns/pod", "10.252.0.9")
	require.NoError(t, err)

	vol := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(vol, "keys"), []byte("secret-data"), 0o444))
	require.NoError(t, os.Chmod(vol, 0o755))
	root := t.TempDir()
	// The container user must be able to walk to the mount point, as under /etc.
	require.NoError(t, os.Chmod(root, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(root), 0o755))
	target := filepath.Join(root, "etc", "meshprobe", "gossip")
	uid, gid := int64(65532), int64(65532)
	cmd := podexec.Command(os.Args[0], podexec.Spec{
		Netns: netns, Hostname: "web-abc", UID: &uid, GID: &gid,
		Mounts: []podexec.Mount{
			// An emptyDir at the temp root first hides the second mount's source
			// path; the helper opens every source before mounting any.
			{Source: t.TempDir(), Target: os.TempDir()},
			{Source: vol, Target: target, ReadOnly: true},
		},
		ReadOnly: true,
		Path:     "sh",
		Args: []string{"-c", "cat " + target + "/keys; echo; hostname; id -u; id -g; " +
			"ip -4 -o addr show dev eth0 | tr -s ' ' | cut -d' ' -f4; " +
			"touch /meshprobe-podexec-test 2>/dev/null && echo writable || echo read-only"},
	})
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, []string{"secret-data", "web-abc", "65532", "65532", "10.252.0.9/16", "read-only"},
		strings.Split(strings.TrimSpace(string(out)), "\n"))
	_, err = os.Stat("/meshprobe-podexec-test")
	assert.True(t, os.IsNotExist(err))
}

func TestMainRejectsBadArguments(t *testing.T) {
	var stderr strings.Builder
	assert.Equal(t, 2, podexec.Main([]string{"--mount=nocolon", "--", "true"}, &stderr))
	assert.Contains(t, stderr.String(), `mount "nocolon": want source:target[:ro]`)
	stderr.Reset()
	assert.Equal(t, 2, podexec.Main(nil, &stderr))
	assert.Contains(t, stderr.String(), "missing -- PATH")
}
