package imagebuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Image refs of the images that no Dockerfile of the project describes.
const (
	// PauseImage is the pod sandbox image: internal/testkit/pause.
	PauseImage = "meshprobe.local/pause:3.10"
	// CoreDNSRepo is the repository of the CoreDNS image; its tag is CoreDNS's
	// version without the "v".
	CoreDNSRepo = "meshprobe.local/coredns"
)

// Project says where the inputs of meshprobe's images are on this host.
type Project struct {
	// Root is the repository root: Dockerfile.webhook, Dockerfile.sidecar and
	// kind/Dockerfile.e2e are read from it.
	Root string
	// BinDir holds the binaries that the Dockerfiles' build stages would build
	// (`make build`): a `COPY --from=<stage> /out/NAME` takes BinDir/NAME.
	BinDir string
	// Version tags meshprobe's own images besides "latest"; it is the version the
	// binaries were built with, so the webhook's default sidecar image
	// (Repo/meshprobe-sidecar:<version>) is in the archive.
	Version string
	// Repo is the repository path of meshprobe's images ("ghcr.io/meshprobe").
	Repo string
	// CABundle is the host's CA bundle, copied into every image.
	CABundle string
	// Pause is the pause binary (BuildPause); empty skips the pause image.
	Pause string
	// CoreDNS is the CoreDNS binary (hack/coredns.sh) and CoreDNSVersion its
	// version ("1.15.0"); an empty CoreDNS skips the CoreDNS image.
	CoreDNS, CoreDNSVersion string
}

// Archive is one archive file: its name (the file is <name>.tar) and images.
type Archive struct {
	Name   string
	Images []Image
}

// dockerImage is an image that a project Dockerfile stage describes.
type dockerImage struct {
	archive    string
	dockerfile string
	target     string
	refs       func(p Project) []string
}

// dockerImages are the project's Dockerfile images, in archive order. The refs
// are the ones manifests/, e2e/testdata/overlay and kind/e2e.sh use.
func dockerImages() []dockerImage {
	return []dockerImage{
		{"meshprobe-webhook", "Dockerfile.webhook", "", func(p Project) []string { return p.own("meshprobe-webhook") }},
		{"meshprobe-sidecar", "Dockerfile.sidecar", "", func(p Project) []string { return p.own("meshprobe-sidecar") }},
		{"testapp", "kind/Dockerfile.e2e", "testapp", func(Project) []string { return []string{"meshprobe.io/testapp:e2e"} }},
		{"testapp", "kind/Dockerfile.e2e", "crash", func(Project) []string { return []string{"meshprobe.io/testapp:crash"} }},
		{"thousandeyes-fake", "kind/Dockerfile.e2e", "tefake", func(p Project) []string { return []string{p.Repo + "/thousandeyes-fake:latest"} }},
	}
}

// own are the refs of one of meshprobe's own images: the version and "latest".
func (p Project) own(name string) []string {
	return []string{p.Repo + "/" + name + ":" + p.Version, p.Repo + "/" + name + ":latest"}
}

// ArchiveNames returns the names of the project's archives, in order.
func ArchiveNames() []string {
	return []string{"meshprobe-webhook", "meshprobe-sidecar", "testapp", "thousandeyes-fake", "pause", "coredns"}
}

// Archives describes the project's archives named names (all of ArchiveNames
// when none): each image of the Dockerfiles, the pause image from p.Pause and the
// CoreDNS image from p.CoreDNS.
func (p Project) Archives(names ...string) ([]Archive, error) {
	if p.Version == "" || p.Repo == "" {
		return nil, fmt.Errorf("project images need a version and a repo")
	}
	if len(names) == 0 {
		names = ArchiveNames()
	}
	var out []Archive
	for _, n := range names {
		a, err := p.archive(n)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// archive describes the archive called name.
func (p Project) archive(name string) (Archive, error) {
	a := Archive{Name: name}
	switch name {
	case "pause":
		if p.Pause == "" {
			return a, fmt.Errorf("the pause image needs the pause binary (BuildPause)")
		}
		a.Images = []Image{p.pauseImage()}
	case "coredns":
		if p.CoreDNS == "" || p.CoreDNSVersion == "" {
			return a, fmt.Errorf("the CoreDNS image needs the CoreDNS binary and its version")
		}
		a.Images = []Image{p.coreDNSImage()}
	default:
		for _, d := range dockerImages() {
			if d.archive != name {
				continue
			}
			img, err := p.fromDockerfile(d)
			if err != nil {
				return a, err
			}
			a.Images = append(a.Images, img)
		}
	}
	if len(a.Images) == 0 {
		return a, fmt.Errorf("no archive %q: the archives are %s", name, strings.Join(ArchiveNames(), ", "))
	}
	return a, nil
}

// fromDockerfile is the image of d, derived from its Dockerfile stage.
func (p Project) fromDockerfile(d dockerImage) (Image, error) {
	file := filepath.Join(p.Root, d.dockerfile)
	f, err := os.Open(file)
	if err != nil {
		return Image{}, fmt.Errorf("reading %s: %w", d.dockerfile, err)
	}
	defer f.Close()
	st, err := ParseDockerfile(f, d.target, map[string]string{"VERSION": p.Version})
	if err != nil {
		return Image{}, fmt.Errorf("%s: %w", d.dockerfile, err)
	}
	img, err := st.Image(d.refs(p), p.inputs())
	if err != nil {
		return Image{}, fmt.Errorf("%s: %w", d.dockerfile, err)
	}
	return img, nil
}

// inputs map the Dockerfiles' bases and build-stage outputs to this host.
func (p Project) inputs() Inputs {
	return Inputs{
		Bases: map[string]Base{DistrolessStaticNonroot: NonrootBase(p.CABundle)},
		StageFile: func(_, src string) (string, error) {
			return filepath.Join(p.BinDir, path.Base(src)), nil
		},
	}
}

// pauseImage is the pod sandbox image: as registry.k8s.io/pause, /pause run as
// 65535:65535.
func (p Project) pauseImage() Image {
	base := NonrootBase(p.CABundle)
	return Image{
		Refs:       []string{PauseImage},
		Files:      append(base.Files, File{Path: "/pause", Source: p.Pause, Mode: 0o755}),
		User:       "65535:65535",
		Entrypoint: []string{"/pause"},
		Env:        base.Env,
		WorkingDir: "/",
	}
}

// coreDNSImage is the CoreDNS image with the final stage of CoreDNS's own
// Dockerfile: /coredns with cap_net_bind_service, run as nonroot (numeric here,
// so the kubelet can check runAsNonRoot), working directory /, port 53.
func (p Project) coreDNSImage() Image {
	base := NonrootBase(p.CABundle)
	coredns := File{Path: "/coredns", Source: p.CoreDNS, Mode: 0o755,
		Xattrs: map[string]string{"security.capability": CapNetBindService}}
	return Image{
		Refs:         []string{CoreDNSRepo + ":" + p.CoreDNSVersion},
		Files:        append(base.Files, coredns),
		User:         "65532:65532",
		Entrypoint:   []string{"/coredns"},
		Env:          base.Env,
		ExposedPorts: []string{"53/tcp", "53/udp"},
		WorkingDir:   "/",
	}
}

// CoreDNSVersion asks the CoreDNS binary for its version: `coredns -version`
// prints "CoreDNS-1.15.0" first.
func CoreDNSVersion(ctx context.Context, binary string) (string, error) {
	out, err := exec.CommandContext(ctx, binary, "-version").Output()
	if err != nil {
		return "", fmt.Errorf("running %s -version: %w", binary, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	v, ok := strings.CutPrefix(strings.TrimSpace(first), "CoreDNS-")
	if !ok || v == "" {
		return "", fmt.Errorf("%s -version printed %q, not CoreDNS-<version>", binary, first)
	}
	return v, nil
}

// BuildPause builds internal/testkit/pause of the module at root into dir, static
// and stripped, and returns the binary's path.
func BuildPause(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "pause")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./internal/testkit/pause")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the pause binary: %w: %s", err, msg)
	}
	return out, nil
}
