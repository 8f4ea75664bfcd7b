package imagebuild

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Inputs tell where a stage's inputs are on this host.
type Inputs struct {
	// Bases maps the image a stage is FROM to the base that stands in for it.
	Bases map[string]Base
	// StageFile maps a `COPY --from=<stage> <src>` source to a host file: the
	// builder stages are not run, their outputs are built beforehand.
	StageFile func(stage, src string) (string, error)
	// Context is the build context directory for COPY without --from; empty
	// refuses such copies.
	Context string
}

// Image is the image that s describes, named refs: the stand-in for its base,
// then its copies and config on top.
func (s Stage) Image(refs []string, in Inputs) (Image, error) {
	base, ok := in.Bases[s.Base]
	if !ok {
		return Image{}, fmt.Errorf("%s: no stand-in for base image %s", s.label(), s.Base)
	}
	img := Image{
		Refs:         refs,
		Files:        append([]File(nil), base.Files...),
		User:         or(s.User, base.User),
		Entrypoint:   s.Entrypoint,
		Cmd:          s.Cmd,
		Env:          append([]string(nil), base.Env...),
		ExposedPorts: s.ExposedPorts,
		Labels:       s.Labels,
		WorkingDir:   or(s.WorkingDir, base.WorkingDir),
	}
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		img.Env = setEnv(img.Env, k, v)
	}
	for _, c := range s.Copies {
		files, err := c.files(in)
		if err != nil {
			return Image{}, fmt.Errorf("%s: COPY %s %s: %w", s.label(), strings.Join(c.Sources, " "), c.Dest, err)
		}
		img.Files = overlay(img.Files, files)
	}
	return img, nil
}

// label names s in errors.
func (s Stage) label() string {
	if s.Name == "" {
		return "the final stage"
	}
	return fmt.Sprintf("stage %q", s.Name)
}

// files are the layer entries that c adds.
func (c Copy) files(in Inputs) ([]File, error) {
	owner, err := parseChown(c.Chown)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, src := range c.Sources {
		host, err := c.hostPath(in, src)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(host)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", src, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("source %s (%s) is not a regular file: only files are supported", src, host)
		}
		mode, err := parseChmod(c.Chmod, st.Mode().Perm())
		if err != nil {
			return nil, err
		}
		dest := c.Dest
		if strings.HasSuffix(dest, "/") || len(c.Sources) > 1 {
			dest = path.Join(dest, path.Base(src))
		}
		out = append(out, File{Path: cleanPath(dest), Source: host, Mode: mode, UID: owner[0], GID: owner[1]})
	}
	return out, nil
}

// hostPath is the host file behind the COPY source src.
func (c Copy) hostPath(in Inputs, src string) (string, error) {
	if c.From != "" {
		if in.StageFile == nil {
			return "", fmt.Errorf("no host file for --from=%s", c.From)
		}
		return in.StageFile(c.From, src)
	}
	if in.Context == "" {
		return "", fmt.Errorf("no build context for %s", src)
	}
	return filepath.Join(in.Context, filepath.Clean("/"+src)), nil
}

// parseChown reads a numeric --chown "uid[:gid]"; names would need the image's
// account files.
func parseChown(s string) ([2]int, error) {
	if s == "" {
		return [2]int{}, nil
	}
	u, g, hasGroup := strings.Cut(s, ":")
	if !hasGroup {
		g = u
	}
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return [2]int{}, fmt.Errorf("--chown=%s: only numeric uid[:gid] is supported", s)
	}
	return [2]int{uid, gid}, nil
}

// parseChmod reads an octal --chmod, or keeps the source's mode when empty.
func parseChmod(s string, keep fs.FileMode) (fs.FileMode, error) {
	if s == "" {
		return keep, nil
	}
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("--chmod=%s: only octal permissions are supported", s)
	}
	return fs.FileMode(m), nil
}

// overlay returns files with more added; an entry of more replaces one of files
// at the same path, as a later COPY does.
func overlay(files, more []File) []File {
	for _, m := range more {
		replaced := false
		for i := range files {
			if cleanPath(files[i].Path) == m.Path {
				files[i], replaced = m, true
			}
		}
		if !replaced {
			files = append(files, m)
		}
	}
	return files
}

// or is a when set, else b.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
