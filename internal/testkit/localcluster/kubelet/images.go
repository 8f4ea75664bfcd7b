package kubelet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// TestAppImage is the image name whose containers run meshprobe-localcluster's
// built-in HTTP test server (`meshprobe-localcluster testapp`). Tags select its
// behaviour: ":crash" exits at once with status 1 (a crash-looping container); any
// other tag serves HTTP.
const TestAppImage = "meshprobe.io/testapp"

// TestAppSubcommand is the meshprobe-localcluster subcommand of the test app.
const TestAppSubcommand = "testapp"

// errImagePull marks containers whose image has no local binary.
var errImagePull = errors.New("image not available locally")

// Images maps a container image to a local binary: the last path element of the
// image name (without tag or digest) is looked up in BinDir, so
// "ghcr.io/meshprobe/meshprobe-sidecar:v1" runs BinDir/meshprobe-sidecar. A container
// command, when set, must name that same binary; its arguments are kept.
type Images struct {
	BinDir string
	// Helper is meshprobe-localcluster itself, which also serves TestAppImage.
	Helper string
}

// Resolve returns the executable and arguments for c.
func (im Images) Resolve(c *corev1.Container) (string, []string, error) {
	repo, tag := splitImage(c.Image)
	if repo == TestAppImage {
		args := []string{TestAppSubcommand}
		if tag == "crash" {
			args = append(args, "--crash")
		}
		return im.Helper, append(append(args, c.Command...), c.Args...), nil
	}
	name := filepath.Base(repo)
	path := filepath.Join(im.BinDir, name)
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return "", nil, fmt.Errorf("%w: %s (no binary %s in %s)", errImagePull, c.Image, name, im.BinDir)
	}
	args := c.Args
	if len(c.Command) > 0 {
		if filepath.Base(c.Command[0]) != name {
			return "", nil, fmt.Errorf("container command %q: only the image's own binary %s can run locally", c.Command[0], name)
		}
		args = append(append([]string{}, c.Command[1:]...), c.Args...)
	}
	return path, args, nil
}

// splitImage returns the repository (without digest) and tag of an image reference.
func splitImage(image string) (repo, tag string) {
	repo, _, _ = strings.Cut(image, "@")
	slash := strings.LastIndexByte(repo, '/')
	if colon := strings.LastIndexByte(repo, ':'); colon > slash {
		return repo[:colon], repo[colon+1:]
	}
	return repo, "latest"
}
