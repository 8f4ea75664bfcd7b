//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// The real-node tests read the containers' processes from the host's /proc: the
// local cluster's nodes share the host's pid namespace (realnode only gives each
// node its own network namespace and cgroup), so a container's process has a host
// pid that the suite (root) can inspect and signal.

// userHZ is the unit of /proc/<pid>/stat's times: USER_HZ, fixed at 100 in the
// kernel's ABI whatever the kernel's own tick rate.
const userHZ = 100

// nodeProc is a container's main process as the node's kernel sees it.
type nodeProc struct {
	pid   int
	start uint64 // /proc/<pid>/stat starttime, ticks since boot: tells a reused pid apart
	name  string // pod/container, for messages
}

// containerProc finds the main process of the named container (an init or app
// container) of p. Off the local cluster, where the nodes' processes may not be
// visible here, the test is skipped.
func containerProc(t *testing.T, p *corev1.Pod, container string) nodeProc {
	t.Helper()
	if suite.local == nil || os.Geteuid() != 0 {
		t.Skip("needs the nodes' processes in this pid namespace, as root: the local cluster (make e2e)")
	}
	cs := containerStatus(p, container)
	require.NotNil(t, cs, "pod %s has a status for container %s", p.Name, container)
	pid, err := containerPID(cs.ContainerID)
	require.NoError(t, err, "container %s of %s", container, p.Name)
	st, err := readProcStat(pid)
	require.NoError(t, err)
	return nodeProc{pid: pid, start: st.start, name: p.Name + "/" + container}
}

// containerStatus returns the status of the named container or init container.
func containerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// containerPID returns the host pid of a container's init process: of the
// processes in the container's cgroup (whose path holds the container ID, with
// the cgroupfs and the systemd driver alike), the one whose parent (the runtime's
// shim) is outside it.
func containerPID(containerID string) (int, error) {
	_, id, ok := strings.Cut(containerID, "://")
	if !ok || id == "" {
		return 0, fmt.Errorf("container ID %q: want <runtime>://<id>", containerID)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("listing processes: %w", err)
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil || !strings.Contains(string(cg), id) {
			continue
		}
		if st, err := readProcStat(pid); err == nil {
			parent[pid] = st.ppid
		}
	}
	var roots []int
	for pid, ppid := range parent {
		if _, in := parent[ppid]; !in {
			roots = append(roots, pid)
		}
	}
	if len(roots) != 1 {
		return 0, fmt.Errorf("container %s: %d processes without a parent in its cgroup (%v), want 1", id, len(roots), roots)
	}
	return roots[0], nil
}

// procStat is what the suite needs of /proc/<pid>/stat.
type procStat struct {
	state byte
	ppid  int
	start uint64
}

func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// anything: state (3), ppid (4), ..., starttime (22).
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields after the command", pid, len(f))
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat ppid: %w", pid, err)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat starttime: %w", pid, err)
	}
	return procStat{state: f[0][0], ppid: ppid, start: start}, nil
}

// alive reports whether the process still runs: it exists, is the same process
// (same start time) and is not a zombie waiting for its shim.
func (p nodeProc) alive() bool {
	st, err := readProcStat(p.pid)
	return err == nil && st.start == p.start && st.state != 'Z' && st.state != 'X'
}

// signal sends sig to the process if it is still the container's.
func (p nodeProc) signal(sig syscall.Signal) error {
	if !p.alive() {
		return fmt.Errorf("%s (pid %d) is gone", p.name, p.pid)
	}
	return syscall.Kill(p.pid, sig)
}

// startedAt converts the process's start time to the wall clock, to within a
// tick (10 ms) and the time between reading the clock and /proc/uptime.
func (p nodeProc) startedAt() (time.Time, error) {
	raw, err := os.ReadFile("/proc/uptime")
	now := time.Now()
	if err != nil {
		return time.Time{}, err
	}
	up, err := strconv.ParseFloat(strings.Fields(string(raw))[0], 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("/proc/uptime: %w", err)
	}
	boot := now.Add(-time.Duration(up * float64(time.Second)))
	return boot.Add(time.Duration(p.start) * time.Second / userHZ), nil
}

// status returns the fields of /proc/<pid>/status ("Uid", "CapEff", ...).
func (p nodeProc) status() (map[string]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range splitLines(string(raw)) {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	return out, nil
}

// rootMountOptions returns the per-mount options of the process's "/" (the
// last mount on "/" in its mount namespace, the one it sees).
func (p nodeProc) rootMountOptions() ([]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", p.pid))
	if err != nil {
		return nil, err
	}
	var opts []string
	for _, l := range splitLines(string(raw)) {
		// id parent major:minor root mountpoint options ...
		if f := strings.Fields(l); len(f) > 5 && f[4] == "/" {
			opts = strings.Split(f[5], ",")
		}
	}
	if opts == nil {
		return nil, errors.New("no mount on / in mountinfo")
	}
	return opts, nil
}

// path is name inside the process's root filesystem, as the container sees it.
func (p nodeProc) path(name string) string {
	return fmt.Sprintf("/proc/%d/root%s", p.pid, name)
}

// readDir lists a directory of the container; a missing one is an empty list
// with fs.ErrNotExist.
func (p nodeProc) readDir(name string) ([]string, error) {
	entries, err := os.ReadDir(p.path(name))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return names, fmt.Errorf("%s: %w", p.name, err)
	}
	return names, err
}
