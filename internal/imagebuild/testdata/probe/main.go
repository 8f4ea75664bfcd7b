// Command probe reports, as JSON on stdout, what a process sees inside an image
// built by package imagebuild: its ids, working directory, environment, the
// owner and mode of the paths given as arguments (by default, what the stand-in
// base provides), and whether the account database resolves uid 65532. The
// containerd test runs it in an imported image.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"syscall"
)

// Report is what probe prints.
type Report struct {
	UID, GID  int
	Dir       string
	Env       []string
	User65532 string
	Paths     map[string]Path
}

// Path is one stat result.
type Path struct {
	Mode     string
	UID, GID uint32
	Size     int64
	Err      string `json:",omitempty"`
}

func main() {
	r := Report{UID: os.Getuid(), GID: os.Getgid(), Env: os.Environ(), Paths: map[string]Path{}}
	r.Dir, _ = os.Getwd()
	if u, err := user.LookupId("65532"); err == nil {
		r.User65532 = u.Username + ":" + u.HomeDir
	}
	paths := os.Args[1:]
	if len(paths) == 0 {
		paths = []string{"/tmp", "/home/nonroot", "/etc/passwd", "/etc/ssl/certs/ca-certificates.crt", "/probe"}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			r.Paths[p] = Path{Err: err.Error()}
			continue
		}
		sys := st.Sys().(*syscall.Stat_t)
		r.Paths[p] = Path{Mode: st.Mode().String(), UID: sys.Uid, GID: sys.Gid, Size: st.Size()}
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
