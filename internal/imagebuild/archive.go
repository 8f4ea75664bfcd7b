package imagebuild

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteArchive builds images and writes them to file as one docker-archive (the
// `docker save` format: manifest.json with RepoTags, configs and layer blobs), each
// image under each of its refs, a layer shared by images stored once. Both
// `ctr images import` (containerd 1.6 and later) and `docker load` read it. The
// archive is written beside file and renamed, so file is never half-written.
func WriteArchive(file string, images ...Image) error {
	refs := map[name.Reference]v1.Image{}
	for _, img := range images {
		if len(img.Refs) == 0 {
			return fmt.Errorf("writing %s: an image without a ref", file)
		}
		built, err := Build(img)
		if err != nil {
			return err
		}
		for _, r := range img.Refs {
			tag, err := name.NewTag(r, name.StrictValidation)
			if err != nil {
				return fmt.Errorf("image ref %q: %w", r, err)
			}
			if _, dup := refs[tag]; dup {
				return fmt.Errorf("writing %s: image ref %s given twice", file, r)
			}
			refs[tag] = built
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	tmp := file + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}
