package kubelet

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// file is one file of a volume payload.
type file struct {
	data []byte
	mode os.FileMode
}

// writeAtomic makes dir hold exactly payload (relative path -> file), the way the
// kubelet's AtomicWriter does: the files live in a timestamped directory, `..data`
// is a symlink to it that is swapped in one rename, and each top-level entry is a
// symlink through `..data`. Readers never see a half-written set. It does nothing
// when the payload is unchanged and reports whether it wrote.
func writeAtomic(dir string, payload map[string]file) (bool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	dataLink := filepath.Join(dir, "..data")
	old, _ := os.Readlink(dataLink)
	if old != "" && sameContent(filepath.Join(dir, old), payload) {
		return false, nil
	}
	tsDir := fmt.Sprintf("..%s.%d", time.Now().UTC().Format("2006_01_02_15_04_05"), time.Now().UnixNano()%1e9)
	if err := os.MkdirAll(filepath.Join(dir, tsDir), 0o755); err != nil {
		return false, err
	}
	for rel, f := range payload {
		p := filepath.Join(dir, tsDir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return false, err
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return false, err
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return false, err
		}
	}
	tmpLink := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmpLink)
	if err := os.Symlink(tsDir, tmpLink); err != nil {
		return false, err
	}
	if err := os.Rename(tmpLink, dataLink); err != nil {
		return false, err
	}
	if err := syncTopLevel(dir, payload); err != nil {
		return false, err
	}
	if old != "" {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
	return true, nil
}

func syncTopLevel(dir string, payload map[string]file) error {
	want := map[string]bool{}
	for rel := range payload {
		want[strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]] = true
	}
	for name := range want {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "..") && !want[e.Name()] {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return nil
}

func sameContent(dir string, payload map[string]file) bool {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, p)
		f, ok := payload[rel]
		if !ok {
			return fmt.Errorf("extra")
		}
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(data, f.data) {
			return fmt.Errorf("changed")
		}
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != f.mode.Perm() {
			return fmt.Errorf("mode")
		}
		return nil
	})
	return err == nil && n == len(payload)
}
