package spec

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// protectedDirs are the sidecar's directories that no check may read a file
// from: the file's content (a bearer token, a password) is sent to the check's
// target, so a check there would hand meshprobe's own secrets to any URL. The
// values say what each directory is, for error messages.
var protectedDirs = []struct{ dir, what string }{
	{contract.DefaultGossipKeyDir, "the gossip-key directory"},
	{contract.ServiceAccountTokenDir, "the ServiceAccount token directory"},
	// /var/run is a symlink to /run in most images.
	{"/run/secrets/kubernetes.io/serviceaccount", "the ServiceAccount token directory"},
	// /proc/self/root/..., /proc/<pid>/fd/... and /dev/fd/... reach any file by
	// another name.
	{"/proc", "the proc filesystem"},
	{"/dev/fd", "the open-file links"},
}

// ProtectedDir reports whether the absolute path p, once cleaned ("..", ".",
// repeated slashes), lies in or under a directory no check may read from, and
// which. It is lexical: the sidecar also checks the file it actually opens.
func ProtectedDir(p string) (dir, what string, protected bool) {
	clean := path.Clean("/" + p)
	for _, d := range protectedDirs {
		if clean == d.dir || strings.HasPrefix(clean, d.dir+"/") {
			return d.dir, d.what, true
		}
	}
	return "", "", false
}

// validFile reports a file path that is not absolute, or that names a file in
// one of meshprobe's own key and token directories.
func validFile(p *problems, field, file string) {
	if file == "" {
		return
	}
	if !filepath.IsAbs(file) {
		p.add(field, "%q is not an absolute path", file)
		return
	}
	if dir, what, ok := ProtectedDir(file); ok {
		p.add(field, "%q is in %s (%s): checks may not read meshprobe's own keys and tokens", file, what, dir)
	}
}

// ReadFile reads a file a check names (a password or token file), refusing it
// when the file actually opened, after every symlink, lies in a protected
// directory: a link in a volume the app shares with the sidecar cannot lead a
// check to meshprobe's key. The opened file's path comes from /proc/self/fd, so
// swapping the link after the check cannot win a race; without /proc the name
// is resolved with filepath.EvalSymlinks.
func ReadFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opened, err := os.Readlink("/proc/self/fd/" + strconv.FormatUint(uint64(f.Fd()), 10))
	if err != nil {
		if opened, err = filepath.EvalSymlinks(name); err != nil {
			return nil, err
		}
	}
	if dir, what, ok := ProtectedDir(opened); ok {
		return nil, fmt.Errorf("%s is %s, in %s (%s): checks may not read meshprobe's own keys and tokens", name, opened, what, dir)
	}
	return io.ReadAll(f)
}
