package realnode

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// unmountUnder detaches every mount at or below dir (container root filesystems, pod
// network namespaces, the kubelet's volume mounts and its rshared bind of its root
// directory), newest first, until none is left.
func unmountUnder(dir string) error {
	dir = filepath.Clean(dir)
	for range 10 {
		points, err := mountsUnder(dir)
		if err != nil || len(points) == 0 {
			return err
		}
		for _, p := range points {
			if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("unmounting %s: %w", p, err)
			}
		}
	}
	points, _ := mountsUnder(dir)
	return fmt.Errorf("mounts left under %s: %v", dir, points)
}

// mountsUnder lists the mount points at or below dir, newest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescapeMount(fields[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	// Later mounts stack on earlier ones: undo them in reverse order.
	slices.Reverse(points)
	return points, sc.Err()
}
