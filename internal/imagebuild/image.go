package imagebuild

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"runtime"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Image describes one image: the files of its single layer and its runtime config,
// the subset of the OCI image config that meshprobe's Dockerfiles set.
type Image struct {
	// Refs are the image's names, such as "ghcr.io/meshprobe/meshprobe-sidecar:v1.2.0";
	// an archive lists the image under each of them.
	Refs []string
	// Files are the layer's entries. Parent directories that are not listed are
	// added as root-owned 0755 directories.
	Files []File
	// User is the config's user ("65532:65532").
	User string
	// Entrypoint and Cmd are the exec-form command of a container.
	Entrypoint []string
	Cmd        []string
	// Env holds "KEY=value" entries.
	Env []string
	// ExposedPorts holds "port/proto" entries ("9443/tcp", "7946/udp").
	ExposedPorts []string
	// Labels are the config's labels.
	Labels map[string]string
	// WorkingDir is the working directory of a container.
	WorkingDir string
	// Arch is the image's architecture; empty means the host's (runtime.GOARCH),
	// which is what the project's binaries are built for.
	Arch string
}

// File is one entry of an image's layer: a regular file read from Source or
// given as Content, or a directory when Mode has fs.ModeDir.
type File struct {
	// Path is the absolute path inside the image.
	Path string
	// Source is the host file to copy; empty for Content and directories.
	Source string
	// Content is the file's content when Source is empty.
	Content []byte
	// Mode holds the permission bits (and fs.ModeDir, fs.ModeSticky).
	Mode fs.FileMode
	// UID and GID own the entry (root when zero).
	UID, GID int
	// Xattrs are extended attributes of a regular file, such as
	// "security.capability" (see CapNetBindService).
	Xattrs map[string]string
}

// CapNetBindService is the "security.capability" value that `setcap
// cap_net_bind_service=+ep` writes (struct vfs_cap_data, revision 2): a file with
// it may bind ports below 1024 when run by a non-root user that has the capability
// in its bounding set.
const CapNetBindService = "\x01\x00\x00\x02" + // magic: revision 2, effective bit set
	"\x00\x04\x00\x00" + "\x00\x00\x00\x00" + // permitted: bit 10 (CAP_NET_BIND_SERVICE); inheritable: none
	"\x00\x00\x00\x00" + "\x00\x00\x00\x00" // the upper 32 capabilities: none

// Build assembles img as a v1.Image: one layer over an empty base, with a config
// whose creation time is the Unix epoch, so the same inputs give the same digest.
func Build(img Image) (v1.Image, error) {
	layer, err := Layer(img.Files)
	if err != nil {
		return nil, fmt.Errorf("building the layer of %v: %w", img.Refs, err)
	}
	return withLayer(img, layer)
}

// withLayer assembles img with its layer built already.
func withLayer(img Image, layer v1.Layer) (v1.Image, error) {
	base, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("adding the layer of %v: %w", img.Refs, err)
	}
	cfg, err := base.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config of %v: %w", img.Refs, err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture = img.Arch
	if cfg.Architecture == "" {
		cfg.Architecture = runtime.GOARCH
	}
	cfg.OS = "linux"
	cfg.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cfg.Config = runConfig(img)
	out, err := mutate.ConfigFile(base, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting the config of %v: %w", img.Refs, err)
	}
	return out, nil
}

// runConfig is the container config of img.
func runConfig(img Image) v1.Config {
	c := v1.Config{
		User:       img.User,
		Entrypoint: slices.Clone(img.Entrypoint),
		Cmd:        slices.Clone(img.Cmd),
		Env:        slices.Clone(img.Env),
		WorkingDir: img.WorkingDir,
	}
	if len(img.ExposedPorts) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for _, p := range img.ExposedPorts {
			c.ExposedPorts[p] = struct{}{}
		}
	}
	if len(img.Labels) > 0 {
		c.Labels = maps.Clone(img.Labels)
	}
	return c
}

// cleanPath is p as an absolute, clean image path.
func cleanPath(p string) string { return path.Clean("/" + p) }
