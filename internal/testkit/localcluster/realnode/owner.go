package realnode

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownerDir records, per cluster, the process that runs its nodes and the directory
// they live in, so that a later run can clean up after one that was killed before it
// could (SIGKILL, a crash): its containers and shims, mounts and cgroups.
const ownerDir = "/run/meshprobe-localcluster-nodes"

// CgroupParent is the cgroup (relative to each hierarchy's root) under which the
// nodes of cluster id live, one child per node.
func CgroupParent(id string) string { return "mpc-" + id }

// Register records that this process runs the nodes of cluster id below dir, and
// which of the host directories that the kubelet and CNI create do not exist yet.
func Register(id, dir string) error {
	if err := os.MkdirAll(ownerDir, 0o755); err != nil {
		return fmt.Errorf("realnode: %w", err)
	}
	rec := strings.Join(append([]string{strconv.Itoa(os.Getpid()), dir}, missingHostDirs()...), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(ownerDir, id), []byte(rec), 0o644); err != nil {
		return fmt.Errorf("realnode: %w", err)
	}
	return nil
}

// Release cleans up whatever of cluster id is left below dir (after every node's
// Stop, normally only the host directories it created) and removes its record.
func Release(id, dir string) error {
	var created []string
	if rec, err := readRecord(id); err == nil {
		created = rec.created
	}
	err := cleanup(id, dir, created)
	_ = os.Remove(filepath.Join(ownerDir, id))
	return err
}

// record is what Register wrote.
type record struct {
	pid     int
	dir     string
	created []string
}

func readRecord(id string) (record, error) {
	data, err := os.ReadFile(filepath.Join(ownerDir, id))
	if err != nil {
		return record{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	pid, err := strconv.Atoi(lines[0])
	if err != nil || len(lines) < 2 {
		return record{}, fmt.Errorf("realnode: unreadable record %s", id)
	}
	return record{pid: pid, dir: lines[1], created: lines[2:]}, nil
}

// Sweep cleans up every recorded cluster whose owner is gone.
func Sweep(log *slog.Logger) {
	entries, err := os.ReadDir(ownerDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rec, err := readRecord(e.Name())
		if err != nil || syscall.Kill(rec.pid, 0) == nil {
			continue // unreadable, or its owner still runs
		}
		log.Info("cleaning up the nodes of a local cluster whose process is gone", "cluster", e.Name(), "dir", rec.dir)
		if err := Release(e.Name(), rec.dir); err != nil {
			log.Warn("cleaning up a stale local cluster", "cluster", e.Name(), "err", err)
		}
	}
}

// cleanup kills every process in the cluster's cgroups, unmounts everything below
// dir, removes the cgroups, what the nodes left in the host's shared paths, and the
// host directories the cluster created.
func cleanup(id, dir string, created []string) error {
	cg, err := findCgroupMounts()
	if err != nil {
		return err
	}
	rel := CgroupParent(id)
	errs := []error{cg.kill(rel, time.Second), unmountUnder(dir), cg.remove(rel)}
	removeLogLinks(dir)
	roots, _ := filepath.Glob(filepath.Join(dir, "nodes", "*"))
	for _, r := range roots {
		removeCNICache(newPaths(r).containerdRoot)
	}
	return errors.Join(append(errs, releaseHostDirs(created))...)
}
