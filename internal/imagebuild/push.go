package imagebuild

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// PublishedImages are the images a user installs, the ones Push publishes: the
// control plane (manifests/, the chart) and the sidecar it injects. The other
// archives are for the local cluster and the e2e suite only.
func PublishedImages() []string { return []string{"meshprobe-webhook", "meshprobe-sidecar"} }

// PushOptions say where and for which platforms Push publishes.
type PushOptions struct {
	// Platforms are the platforms of the index, in order; the binaries of each
	// are in Project.BinDir/<os>_<arch> (Platform.Dir).
	Platforms []Platform
	// Insecure talks plain HTTP to the registry (a registry on localhost does
	// anyway).
	Insecure bool
	// Remote are further options of go-containerregistry's remote package; Push
	// authenticates with authn.DefaultKeychain (the docker config and its
	// credential helpers) unless one of them overrides it.
	Remote []remote.Option
}

// Pushed is one pushed ref and the digest of the index it names.
type Pushed struct {
	Ref    string
	Digest v1.Hash
}

// Push builds the published image called name (one of PublishedImages) for each
// platform of o and pushes one OCI image index of them under each of its refs
// (Repo/name:Version and :latest). The blobs go up with the first ref; the other
// refs only tag the index.
func (p Project) Push(ctx context.Context, name string, o PushOptions) ([]Pushed, error) {
	if !slices.Contains(PublishedImages(), name) {
		return nil, fmt.Errorf("pushing %s: only %s are published", name, strings.Join(PublishedImages(), ", "))
	}
	idx, err := p.Index(name, o.Platforms)
	if err != nil {
		return nil, err
	}
	digest, err := idx.Digest()
	if err != nil {
		return nil, fmt.Errorf("hashing the index of %s: %w", name, err)
	}
	opts := append([]remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithContext(ctx)}, o.Remote...)
	var out []Pushed
	for i, r := range p.own(name) {
		if err := pushRef(r, idx, i == 0, o.Insecure, opts); err != nil {
			return out, err
		}
		out = append(out, Pushed{Ref: r, Digest: digest})
	}
	return out, nil
}

// pushRef writes idx as ref: all of it when blobs is set, else only its manifest.
func pushRef(ref string, idx v1.ImageIndex, blobs, insecure bool, opts []remote.Option) error {
	nameOpts := []name.Option{name.StrictValidation}
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	tag, err := name.NewTag(ref, nameOpts...)
	if err != nil {
		return fmt.Errorf("image ref %q: %w", ref, err)
	}
	if blobs {
		err = remote.WriteIndex(tag, idx, opts...)
	} else {
		err = remote.Tag(tag, idx, opts...)
	}
	if err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	return nil
}

// Index builds the Dockerfile image called name once per platform, from the
// binaries in BinDir/<os>_<arch>, and returns an OCI image index of them, each
// manifest's descriptor carrying its platform. Each binary the image copies in
// is checked to be a static ELF executable of its platform.
func (p Project) Index(name string, platforms []Platform) (v1.ImageIndex, error) {
	if len(platforms) == 0 {
		return nil, fmt.Errorf("the index of %s: no platforms", name)
	}
	var adds []mutate.IndexAddendum
	for _, plat := range platforms {
		img, err := p.platformImage(name, plat)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: plat.OS, Architecture: plat.Arch},
		}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}

// platformImage is the OCI image of the Dockerfile image called name for plat.
func (p Project) platformImage(name string, plat Platform) (v1.Image, error) {
	pp := p
	pp.BinDir = filepath.Join(p.BinDir, plat.Dir())
	a, err := pp.archive(name)
	if err != nil {
		return nil, err
	}
	if len(a.Images) != 1 {
		return nil, fmt.Errorf("the index of %s: %d images, not one", name, len(a.Images))
	}
	img := a.Images[0]
	img.Arch = plat.Arch
	for _, f := range img.Files {
		if f.Source != "" && filepath.Dir(f.Source) == pp.BinDir {
			if err := checkBinary(f.Source, plat); err != nil {
				return nil, fmt.Errorf("%s for %s: %w", name, plat, err)
			}
		}
	}
	return ociImage(img)
}

// ociImage builds img with OCI media types (manifest, config, layer), as an
// OCI index's entries have them.
func ociImage(img Image) (v1.Image, error) {
	layer, err := Layer(img.Files, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("building the layer of %v: %w", img.Refs, err)
	}
	built, err := withLayer(img, layer)
	if err != nil {
		return nil, err
	}
	built = mutate.MediaType(built, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(built, types.OCIConfigJSON), nil
}
