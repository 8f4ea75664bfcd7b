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
	layers := layerCache{}
	for _, img := range images {
		if len(img.Refs) == 0 {
			return fmt.Errorf("writing %s: an image without a ref", file)
		}
		layer, err := layers.get(img.Files)
		if err != nil {
			return fmt.Errorf("building the layer of %v: %w", img.Refs, err)
		}
		built, err := withLayer(img, layer)
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

// layerCache builds the layer of a file list once: images that differ in their
// config only (testapp's ":e2e" and ":crash") share it, and it is hashed and
// compressed once.
type layerCache map[string]v1.Layer

func (c layerCache) get(files []File) (v1.Layer, error) {
	key := fmt.Sprintf("%#v", files)
	if l, ok := c[key]; ok {
		return l, nil
	}
	l, err := Layer(files)
	if err != nil {
		return nil, err
	}
	c[key] = l
	return l, nil
}
