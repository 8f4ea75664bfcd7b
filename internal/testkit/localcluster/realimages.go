package localcluster

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/meshprobe/meshprobe/internal/imagebuild"
)

// nodeImages are the image archives that every real node imports, and the images the
// cluster itself needs from them.
type nodeImages struct {
	archives []string
	coreDNS  string // e.g. meshprobe.local/coredns:1.15.0
}

// findImages lists the image archives (*.tar, docker-archive) of dir and checks that
// they hold the pod sandbox image and a CoreDNS image.
func findImages(dir string) (nodeImages, error) {
	archives, err := filepath.Glob(filepath.Join(dir, "*.tar"))
	if err != nil || len(archives) == 0 {
		return nodeImages{}, fmt.Errorf("localcluster: no image archives in %s (make images builds them)", dir)
	}
	var refs []string
	for _, a := range archives {
		m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(a) })
		if err != nil {
			return nodeImages{}, fmt.Errorf("localcluster: image archive %s: %w", a, err)
		}
		for _, d := range m {
			refs = append(refs, d.RepoTags...)
		}
	}
	out := nodeImages{archives: archives}
	for _, r := range refs {
		if strings.HasPrefix(r, imagebuild.CoreDNSRepo+":") {
			out.coreDNS = r
		}
	}
	if !slices.Contains(refs, imagebuild.PauseImage) || out.coreDNS == "" {
		return nodeImages{}, fmt.Errorf("localcluster: the archives in %s lack %s or %s:<version> (make images builds them)", dir, imagebuild.PauseImage, imagebuild.CoreDNSRepo)
	}
	return out, nil
}
