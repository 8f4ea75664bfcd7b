package localcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// EnvRootless is set by meshprobe-localcluster when it re-executes itself inside a
// user namespace (with its own network and mount namespaces) to run without root.
const EnvRootless = "MESHPROBE_LOCALCLUSTER_ROOTLESS"

// InRootless reports whether this process runs in the rootless user namespace.
func InRootless() bool { return os.Getenv(EnvRootless) == "1" }

// PrepareRootless readies the rootless namespaces: a tmpfs on /run (for `ip netns`
// and /run/secrets mount points), an overlay on /etc whose upper layer lives in dir
// (so mount points such as /etc/meshprobe/podinfo can be created without touching
// the host), and the loopback interface up. Call it first thing in the re-executed
// process; it changes only this process's mount and network namespaces.
func PrepareRootless(dir string) error {
	if !InRootless() {
		return errors.New("localcluster: not in the rootless namespaces")
	}
	if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
		return fmt.Errorf("localcluster: rootless: tmpfs on /run: %w", err)
	}
	up, work := filepath.Join(dir, "rootless", "etc-upper"), filepath.Join(dir, "rootless", "etc-work")
	for _, d := range []string{up, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=/etc,upperdir=%s,workdir=%s", up, work)
	if err := unix.Mount("overlay", "/etc", "overlay", 0, opts); err != nil {
		return fmt.Errorf("localcluster: rootless: overlay on /etc (needs Linux 5.11+): %w", err)
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("localcluster: rootless: lo up: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
