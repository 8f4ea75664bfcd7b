package spec

import (
	"path"
	"path/filepath"
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
