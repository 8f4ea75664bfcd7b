package realnode

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The test binary is its own node-exec helper.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ExecSubcommand {
		os.Exit(ExecMain(os.Args[2:], os.Stderr))
	}
	os.Exit(m.Run())
}

// A run killed outright leaves a node's processes, mounts and cgroups behind; the next
// run's Sweep removes them, and leaves a cluster whose owner still runs alone.
func TestSweepCleansUpAfterAKilledRun(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("realnode: cgroups, network namespaces and mounts need root")
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	id := "t" + hex.EncodeToString(b)
	netns := "mp" + id
	require.NoError(t, exec.Command("ip", "netns", "add", netns).Run())
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", netns).Run() })
	cg, err := findCgroupMounts()
	require.NoError(t, err)
	daemons := CgroupParent(id) + "/n1/daemons"
	require.NoError(t, cg.create(daemons))
	t.Cleanup(func() { _ = cg.remove(CgroupParent(id)) })

	// A "node process" started the way a node starts its components.
	cmd := exec.Command(os.Args[0], execArgs(netns, filepath.Join(cg.track, daemons), "sleep", "300")...)
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait() }()
	require.Eventually(t, func() bool { // exec'd: in the cgroup and the netns by then
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		return string(comm) == "sleep\n"
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, []int{cmd.Process.Pid}, procsUnder(filepath.Join(cg.track, daemons)))
	sameNetns(t, cmd.Process.Pid, "/run/netns/"+netns)

	dir := t.TempDir()
	mnt := filepath.Join(dir, "nodes", "n1", "volume")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	require.NoError(t, unix.Mount("tmpfs", mnt, "tmpfs", 0, ""))

	require.NoError(t, Register(id, dir))
	t.Cleanup(func() { _ = os.Remove(filepath.Join(ownerDir, id)) })
	Sweep(slog.New(slog.DiscardHandler))
	assert.Len(t, procsUnder(filepath.Join(cg.track, daemons)), 1, "the owner (this test) runs: nothing is swept")

	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	rec := fmt.Sprintf("%d\n%s\n", dead.Process.Pid, dir)
	require.NoError(t, os.WriteFile(filepath.Join(ownerDir, id), []byte(rec), 0o644))
	Sweep(slog.New(slog.DiscardHandler))

	assert.Error(t, unix.Kill(cmd.Process.Pid, 0), "the node's process is gone")
	points, err := mountsUnder(dir)
	require.NoError(t, err)
	assert.Empty(t, points, "nothing is mounted below the cluster's directory")
	for _, root := range cg.all() {
		assert.NoDirExists(t, filepath.Join(root, CgroupParent(id)))
	}
	assert.NoFileExists(t, filepath.Join(ownerDir, id))
}

func sameNetns(t *testing.T, pid int, nsPath string) {
	t.Helper()
	var want, got unix.Stat_t
	require.NoError(t, unix.Stat(nsPath, &want))
	require.NoError(t, unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &got))
	assert.Equal(t, want.Ino, got.Ino, "the process runs in the node's network namespace")
}
