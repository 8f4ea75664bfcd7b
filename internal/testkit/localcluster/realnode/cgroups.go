package realnode

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupMounts are the mounted cgroup hierarchies: every v1 hierarchy and the v2
// (unified) one, if mounted.
type cgroupMounts struct {
	v1      []string // mount points, e.g. /sys/fs/cgroup/memory
	unified string   // e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified; "" when not mounted
	// track is the hierarchy in which a node's processes are found and killed: the v1
	// "pids" hierarchy when there is one (hybrid hosts), else the unified one.
	track string
}

func findCgroupMounts() (*cgroupMounts, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := &cgroupMounts{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ... mountpoint ... - fstype source superoptions
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 0 || sep+3 >= len(fields) || len(fields) < 5 {
			continue
		}
		point, fstype, opts := unescapeMount(fields[4]), fields[sep+1], fields[sep+3]
		switch fstype {
		case "cgroup":
			m.v1 = append(m.v1, point)
			if slices.Contains(strings.Split(opts, ","), "pids") {
				m.track = point
			}
		case "cgroup2":
			m.unified = point
		}
	}
	if m.track == "" {
		m.track = m.unified
	}
	if m.track == "" {
		return nil, errors.New("no cgroup hierarchy is mounted")
	}
	return m, sc.Err()
}

func (m *cgroupMounts) all() []string {
	if m.unified == "" {
		return m.v1
	}
	return append(slices.Clone(m.v1), m.unified)
}

// create makes the cgroup rel (e.g. "mpc-1a2b3c/localnode-1") in every hierarchy,
// giving new v1 cpusets their parent's CPUs and memory nodes and enabling the v2
// controllers on the way down (no-ops where not needed).
func (m *cgroupMounts) create(rel string) error {
	for _, root := range m.all() {
		dir := root
		for part := range strings.SplitSeq(rel, "/") {
			if root == m.unified {
				enableControllers(dir)
			}
			parent := dir
			dir = filepath.Join(dir, part)
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("creating cgroup %s: %w", dir, err)
			}
			if err := inheritCpuset(parent, dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// inheritCpuset copies cpuset.cpus and cpuset.mems from parent when dir has none (a
// v1 cpuset accepts no process until both are set).
func inheritCpuset(parent, dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || strings.TrimSpace(string(cur)) != "" {
			continue // not a cpuset hierarchy, or already set
		}
		val, err := os.ReadFile(filepath.Join(parent, f))
		if err != nil {
			return fmt.Errorf("reading %s: %w", filepath.Join(parent, f), err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), val, 0o644); err != nil {
			return fmt.Errorf("setting %s: %w", filepath.Join(dir, f), err)
		}
	}
	return nil
}

// enableControllers lets dir's children use every controller dir has (cgroup v2).
func enableControllers(dir string) {
	avail, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return
	}
	for c := range strings.FieldsSeq(string(avail)) {
		_ = os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+"+c), 0o644)
	}
}

// kill stops every process in rel and below in the tracking hierarchy: SIGTERM, then
// SIGKILL after grace, until none is left (or a minute has passed).
func (m *cgroupMounts) kill(rel string, grace time.Duration) error {
	dir := filepath.Join(m.track, rel)
	signalAll(dir, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && len(procsUnder(dir)) > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	for range 600 {
		if len(procsUnder(dir)) == 0 {
			return nil
		}
		signalAll(dir, syscall.SIGKILL)
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("processes left in cgroup %s: %v", dir, procsUnder(dir))
}

func signalAll(dir string, sig syscall.Signal) {
	for _, pid := range procsUnder(dir) {
		_ = syscall.Kill(pid, sig)
	}
}

// procsUnder lists the processes in dir and its descendants.
func procsUnder(dir string) []int {
	var pids []int
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			return nil
		}
		for f := range strings.FieldsSeq(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// remove deletes rel and its descendants in every hierarchy, deepest first. The
// processes must be gone (kill).
func (m *cgroupMounts) remove(rel string) error {
	var errs []error
	for _, root := range m.all() {
		var dirs []string
		_ = filepath.WalkDir(filepath.Join(root, rel), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for _, d := range slices.Backward(dirs) {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("removing cgroup %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// unescapeMount undoes /proc/self/mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
