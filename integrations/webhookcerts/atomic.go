package webhookcerts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// dataLink is the symlink that points at the current version of the files, as
// in a kubelet-managed Secret volume.
const dataLink = "..data"

// WriteFiles replaces the files in dir atomically, the way the kubelet updates a
// Secret volume: the new files go into a fresh hidden directory, the "..data"
// symlink is switched to it with one rename, and each file name is a symlink
// through "..data". A reader opening the files sees either every old or every
// new version, never a new certificate with an old key. Older versions are
// removed afterwards. Names must be plain file names.
func WriteFiles(dir string, files map[string][]byte, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("webhookcerts: creating %s: %w", dir, err)
	}
	version, err := os.MkdirTemp(dir, "..version-")
	if err != nil {
		return fmt.Errorf("webhookcerts: %w", err)
	}
	for name, data := range files {
		if name == "" || strings.HasPrefix(name, ".") || filepath.Base(name) != name {
			return errors.Join(fmt.Errorf("webhookcerts: file name %q: want a plain name", name), os.RemoveAll(version))
		}
		if err := os.WriteFile(filepath.Join(version, name), data, mode); err != nil {
			return errors.Join(fmt.Errorf("webhookcerts: %w", err), os.RemoveAll(version))
		}
	}
	if err := replaceSymlink(filepath.Join(dir, dataLink), filepath.Base(version)); err != nil {
		return errors.Join(err, os.RemoveAll(version))
	}
	for name := range files {
		target := filepath.Join(dataLink, name)
		if cur, err := os.Readlink(filepath.Join(dir, name)); err == nil && cur == target {
			continue
		}
		if err := replaceSymlink(filepath.Join(dir, name), target); err != nil {
			return err
		}
	}
	return removeOldVersions(dir, filepath.Base(version))
}

// replaceSymlink points path at target with one rename over whatever is there.
func replaceSymlink(path, target string) error {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("webhookcerts: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("webhookcerts: switching %s: %w", path, err)
	}
	return nil
}

func removeOldVersions(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("webhookcerts: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "..version-") && e.Name() != keep {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}
