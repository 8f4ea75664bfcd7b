package imagebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is the modification time of every layer entry, so that a layer's digest
// depends on its content only.
var epoch = time.Unix(0, 0).UTC()

// Layer builds one layer holding files. Entries are sorted by path and parent
// directories are added, so the same files give the same digest. The layer is
// gzip-compressed once, at BestSpeed (the binaries are most of its size and
// compress little better at higher levels), and the compressed bytes are kept for
// the digest and the archive. opts add to the layer's options (an OCI media type:
// tarball.WithMediaType).
func Layer(files []File, opts ...tarball.LayerOption) (v1.Layer, error) {
	entries, err := withParents(files)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range entries {
		if err := writeEntry(tw, f); err != nil {
			return nil, fmt.Errorf("adding %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer: %w", err)
	}
	data := buf.Bytes()
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	opts = append([]tarball.LayerOption{tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching}, opts...)
	layer, err := tarball.LayerFromOpener(open, opts...)
	if err != nil {
		return nil, fmt.Errorf("wrapping the layer: %w", err)
	}
	return layer, nil
}

// withParents returns files with clean paths, sorted, each path once, plus a root
// 0755 directory for each missing parent.
func withParents(files []File) ([]File, error) {
	byPath := map[string]File{}
	for _, f := range files {
		f.Path = cleanPath(f.Path)
		if f.Path == "/" {
			return nil, fmt.Errorf("layer entry with no path (source %q)", f.Source)
		}
		if _, dup := byPath[f.Path]; dup {
			return nil, fmt.Errorf("layer entry %s listed twice", f.Path)
		}
		byPath[f.Path] = f
	}
	for p := range byPath {
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			if _, ok := byPath[dir]; !ok {
				byPath[dir] = File{Path: dir, Mode: fs.ModeDir | 0o755}
			}
		}
	}
	out := make([]File, 0, len(byPath))
	for _, f := range byPath {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// writeEntry writes one tar entry for f.
func writeEntry(tw *tar.Writer, f File) error {
	hdr := &tar.Header{
		Name:    f.Path[1:],
		Mode:    tarMode(f.Mode),
		Uid:     f.UID,
		Gid:     f.GID,
		ModTime: epoch,
		Format:  tar.FormatPAX,
	}
	if f.Mode.IsDir() {
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag = tar.TypeReg
	for k, v := range f.Xattrs {
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+k] = v
	}
	if f.Source == "" {
		hdr.Size = int64(len(f.Content))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(f.Content)
		return err
	}
	return copySource(tw, hdr, f.Source)
}

// copySource writes hdr with the size of the host file src, then its content.
func copySource(tw *tar.Writer, hdr *tar.Header, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening the source: %w", err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return fmt.Errorf("reading the source: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("source %s is not a regular file", src)
	}
	hdr.Size = st.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, in); err != nil {
		return fmt.Errorf("copying the source: %w", err)
	}
	return nil
}

// tarMode is m as tar header mode bits: permissions plus setuid, setgid and sticky.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
