//go:build e2e

package e2e

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// The sidecar's security context and its volume over the ServiceAccount path,
// as the node's kernel enforces them, read from /proc on the node. The app
// container of the same pod, which sets no security context, is the control: it
// shows that each reading can come out otherwise.
func TestRealNodeSidecarIsolation(t *testing.T) {
	ns := newNamespace(t, true)
	_, err := suite.client.CoreV1().Pods(ns).Create(t.Context(), bareAppPod("isolated", nil), metav1.CreateOptions{})
	require.NoError(t, err)
	pod := waitReadyPods(t, ns, "app=isolated", 1, 2*time.Minute)[0]
	sidecar := containerProc(t, &pod, contract.SidecarContainerName)
	app := containerProc(t, &pod, "app")

	t.Run("the app's ServiceAccount token is not visible in the sidecar", func(t *testing.T) {
		token, err := os.ReadFile(app.path(contract.ServiceAccountTokenDir + "/token"))
		require.NoError(t, err, "the app container has its token")
		assert.True(t, strings.HasPrefix(string(token), "eyJ"), "the app's token is a JWT")

		names, err := sidecar.readDir(contract.ServiceAccountTokenDir)
		require.NoError(t, err, "the sidecar has the (empty) volume over the ServiceAccount path")
		assert.Empty(t, names, "the sidecar sees nothing at %s", contract.ServiceAccountTokenDir)
		_, err = os.Stat(sidecar.path(contract.ServiceAccountTokenDir + "/token"))
		assert.ErrorIs(t, err, fs.ErrNotExist, "no token in the sidecar")
	})

	t.Run("the sidecar runs as 65532 without capabilities, under seccomp, on a read-only root", func(t *testing.T) {
		st, err := sidecar.status()
		require.NoError(t, err)
		assert.Equal(t, "65532 65532 65532 65532", st["Uid"], "real, effective, saved, filesystem uid")
		assert.Equal(t, "65532 65532 65532 65532", st["Gid"])
		for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
			assert.Equal(t, "0000000000000000", st[set], "%s of the sidecar", set)
		}
		assert.Equal(t, "1", st["NoNewPrivs"], "allowPrivilegeEscalation: false sets no_new_privs")
		assert.Equal(t, "2", st["Seccomp"], "seccomp RuntimeDefault is filter mode (2)")
		opts, err := sidecar.rootMountOptions()
		require.NoError(t, err)
		assert.True(t, slices.Contains(opts, "ro"), "the sidecar's / is mounted read-only: %v", opts)
	})

	t.Run("control: the app container without a security context reads otherwise", func(t *testing.T) {
		st, err := app.status()
		require.NoError(t, err)
		assert.NotEqual(t, "0000000000000000", st["CapBnd"], "the runtime's default capability bounding set")
		assert.Equal(t, "0", st["NoNewPrivs"])
		opts, err := app.rootMountOptions()
		require.NoError(t, err)
		assert.True(t, slices.Contains(opts, "rw"), "the app's / is writable: %v", opts)
	})
}
