package realnode

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Paths outside the nodes' directories that the kubelet and the CNI library write to,
// hard-coded and shared by every node on the machine.
const (
	// containerLogLinks is where the kubelet links every container's log file.
	containerLogLinks = "/var/log/containers"
	// devicePluginSocket is the kubelet's device-plugin registration socket.
	devicePluginSocket = "/var/lib/kubelet/device-plugins/kubelet.sock"
	// cniCache is where libcni (in containerd) caches each sandbox's result, by
	// "<network>-<sandbox id>-<interface>"; CNI DEL removes the entry.
	cniCache = "/var/lib/cni/results"
)

// hostDirs are the directories the components create on the host when missing; a
// cluster records the ones that did not exist (Register) and removes them, if empty,
// when it is done.
func hostDirs() []string {
	return []string{
		containerLogLinks, filepath.Dir(devicePluginSocket), filepath.Dir(filepath.Dir(devicePluginSocket)),
		cniCache, filepath.Dir(cniCache),
	}
}

// missingHostDirs returns the hostDirs that do not exist yet.
func missingHostDirs() []string {
	var out []string
	for _, d := range hostDirs() {
		if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
			out = append(out, d)
		}
	}
	return out
}

// removeLogLinks removes the links in /var/log/containers that point below dir (the
// kubelet removes them with the container; this catches a kill).
func removeLogLinks(dir string) {
	entries, _ := os.ReadDir(containerLogLinks)
	for _, e := range entries {
		p := filepath.Join(containerLogLinks, e.Name())
		if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, dir+"/") {
			_ = os.Remove(p)
		}
	}
}

// removeCNICache removes libcni's cache entries of the sandboxes that the containerd
// under containerdRoot created (killed sandboxes never see a CNI DEL).
func removeCNICache(containerdRoot string) {
	sandboxes, _ := os.ReadDir(filepath.Join(containerdRoot, "io.containerd.grpc.v1.cri", "sandboxes"))
	if len(sandboxes) == 0 {
		return
	}
	entries, _ := os.ReadDir(cniCache)
	for _, e := range entries {
		for _, s := range sandboxes {
			if strings.Contains(e.Name(), "-"+s.Name()+"-") {
				_ = os.Remove(filepath.Join(cniCache, e.Name()))
			}
		}
	}
}

// releaseHostDirs removes the device-plugin socket when no kubelet listens on it any
// more, then those of created (the host directories a cluster created) that are empty,
// deepest first.
func releaseHostDirs(created []string) error {
	if conn, err := net.DialTimeout("unix", devicePluginSocket, time.Second); err == nil {
		_ = conn.Close()
	} else {
		_ = os.Remove(devicePluginSocket)
	}
	slices.SortFunc(created, func(a, b string) int { return len(b) - len(a) })
	var errs []error
	for _, d := range created {
		if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) {
			errs = append(errs, fmt.Errorf("removing %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}
