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

// Register records that this process runs the nodes of cluster id below dir.
func Register(id, dir string) error {
	if err := os.MkdirAll(ownerDir, 0o755); err != nil {
		return fmt.Errorf("realnode: %w", err)
	}
	rec := fmt.Sprintf("%d\n%s\n", os.Getpid(), dir)
	if err := os.WriteFile(filepath.Join(ownerDir, id), []byte(rec), 0o644); err != nil {
		return fmt.Errorf("realnode: %w", err)
	}
	return nil
}

// Release cleans up whatever of cluster id is left below dir (after every node's
// Stop, normally nothing) and removes its record.
func Release(id, dir string) error {
	err := cleanup(id, dir)
	_ = os.Remove(filepath.Join(ownerDir, id))
	return err
}

// Sweep cleans up every recorded cluster whose owner is gone.
func Sweep(log *slog.Logger) {
	entries, err := os.ReadDir(ownerDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(ownerDir, e.Name()))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		pid, perr := strconv.Atoi(lines[0])
		if perr != nil || len(lines) < 2 || syscall.Kill(pid, 0) == nil {
			continue // unreadable, or its owner still runs
		}
		log.Info("cleaning up the nodes of a local cluster whose process is gone", "cluster", e.Name(), "dir", lines[1])
		if err := Release(e.Name(), lines[1]); err != nil {
			log.Warn("cleaning up a stale local cluster", "cluster", e.Name(), "err", err)
		}
	}
}

// cleanup kills every process in the cluster's cgroups, unmounts everything below
// dir, removes the cgroups and the kubelet's log links into dir.
func cleanup(id, dir string) error {
	cg, err := findCgroupMounts()
	if err != nil {
		return err
	}
	rel := CgroupParent(id)
	return errors.Join(
		cg.kill(rel, time.Second),
		unmountUnder(dir),
		cg.remove(rel),
		removeLogLinks(dir),
	)
}
