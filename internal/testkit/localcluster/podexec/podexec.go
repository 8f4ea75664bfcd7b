package podexec

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Subcommand is the argument that selects the helper in meshprobe-localcluster.
const Subcommand = "pod-exec"

// Mount is a bind mount into the container's view of the filesystem.
type Mount struct {
	Source, Target string
	ReadOnly       bool
}

// Spec is one container process.
type Spec struct {
	Netns    string // name under /run/netns; empty: stay in the host's
	Hostname string
	UID, GID *int64 // nil: keep root
	Mounts   []Mount
	ReadOnly bool // make / read-only (readOnlyRootFilesystem)
	WorkDir  string
	Path     string // the executable
	Args     []string
}

// Command returns the exec.Cmd that runs spec through helper (the path of
// meshprobe-localcluster). The caller sets Env, output and any other attributes; the
// namespaces are set here.
func Command(helper string, spec Spec) *exec.Cmd {
	args := []string{Subcommand}
	if spec.Netns != "" {
		args = append(args, "--netns="+spec.Netns)
	}
	if spec.Hostname != "" {
		args = append(args, "--hostname="+spec.Hostname)
	}
	if spec.UID != nil {
		args = append(args, "--uid="+strconv.FormatInt(*spec.UID, 10))
	}
	if spec.GID != nil {
		args = append(args, "--gid="+strconv.FormatInt(*spec.GID, 10))
	}
	for _, m := range spec.Mounts {
		v := m.Source + ":" + m.Target
		if m.ReadOnly {
			v += ":ro"
		}
		args = append(args, "--mount="+v)
	}
	if spec.ReadOnly {
		args = append(args, "--read-only")
	}
	if spec.WorkDir != "" {
		args = append(args, "--workdir="+spec.WorkDir)
	}
	args = append(args, "--", spec.Path)
	args = append(args, spec.Args...)
	cmd := exec.Command(helper, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
		// Go makes the new mount namespace's mounts private before exec.
		Unshareflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS,
	}
	return cmd
}

type mountList []Mount

func (m *mountList) String() string { return fmt.Sprint(*m) }

func (m *mountList) Set(v string) error {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("mount %q: want source:target[:ro]", v)
	}
	*m = append(*m, Mount{Source: parts[0], Target: parts[1], ReadOnly: len(parts) == 3 && parts[2] == "ro"})
	return nil
}

// Main runs the helper with args (without the subcommand) and execs the container
// binary; it returns only on error, with the exit code to use.
func Main(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(Subcommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var spec Spec
	var uid, gid int64 = -1, -1
	var mounts mountList
	fs.StringVar(&spec.Netns, "netns", "", "network namespace name (/run/netns/NAME)")
	fs.StringVar(&spec.Hostname, "hostname", "", "hostname in the new UTS namespace")
	fs.Int64Var(&uid, "uid", -1, "uid to run as")
	fs.Int64Var(&gid, "gid", -1, "gid to run as")
	fs.Var(&mounts, "mount", "source:target[:ro] bind mount (repeatable)")
	fs.BoolVar(&spec.ReadOnly, "read-only", false, "make the root filesystem read-only")
	fs.StringVar(&spec.WorkDir, "workdir", "", "working directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 {
		fmt.Fprintln(stderr, "pod-exec: missing -- PATH [ARGS...]")
		return 2
	}
	spec.Mounts = mounts
	if uid >= 0 {
		spec.UID = &uid
	}
	if gid >= 0 {
		spec.GID = &gid
	}
	spec.Path, spec.Args = fs.Arg(0), fs.Args()[1:]
	err := enter(spec)
	fmt.Fprintf(stderr, "pod-exec: %v\n", err)
	return 127
}

func enter(spec Spec) error {
	runtime.LockOSThread() // setns applies to this thread, which then execs
	if spec.Netns != "" {
		if err := joinNetns(spec.Netns); err != nil {
			return err
		}
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("setting hostname: %w", err)
		}
	}
	// Open the binary and every mount source first: a mount may hide them (an
	// emptyDir at /tmp hides a state or binary directory below /tmp).
	path, err := exec.LookPath(spec.Path)
	if err != nil {
		return fmt.Errorf("finding %s: %w", spec.Path, err)
	}
	exe, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	sources := make([]*os.File, len(spec.Mounts))
	for i, m := range spec.Mounts {
		f, err := os.OpenFile(m.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("mount source: %w", err)
		}
		sources[i] = f
	}
	for i, m := range spec.Mounts {
		if err := bindMount(m, sources[i]); err != nil {
			return err
		}
		_ = sources[i].Close()
	}
	if spec.ReadOnly {
		if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("making / read-only: %w", err)
		}
	}
	if spec.WorkDir != "" {
		if err := os.Chdir(spec.WorkDir); err != nil {
			return fmt.Errorf("chdir %s: %w", spec.WorkDir, err)
		}
	}
	if err := dropPrivileges(spec.UID, spec.GID); err != nil {
		return err
	}
	// Changing credentials clears the parent-death signal; set it again so the
	// container dies with the node agent even when that is killed outright.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("setting the parent-death signal: %w", err)
	}
	fdPath := fmt.Sprintf("/proc/self/fd/%d", exe.Fd())
	return fmt.Errorf("exec %s: %w", path, syscall.Exec(fdPath, append([]string{spec.Path}, spec.Args...), os.Environ()))
}

func joinNetns(name string) error {
	f, err := os.Open(filepath.Join("/run/netns", name))
	if err != nil {
		return fmt.Errorf("opening netns %s: %w", name, err)
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("joining netns %s: %w", name, err)
	}
	return nil
}

func bindMount(m Mount, src *os.File) error {
	st, err := src.Stat()
	if err != nil {
		return fmt.Errorf("mount source %s: %w", m.Source, err)
	}
	if err := ensureTarget(m.Target, st.IsDir()); err != nil {
		return err
	}
	fdPath := fmt.Sprintf("/proc/self/fd/%d", src.Fd())
	if err := unix.Mount(fdPath, m.Target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind-mounting %s at %s: %w", m.Source, m.Target, err)
	}
	if m.ReadOnly {
		if err := unix.Mount("", m.Target, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("making %s read-only: %w", m.Target, err)
		}
	}
	return nil
}

// ensureTarget creates a missing mount point. It is created on the host's filesystem
// (the mount namespace shares it); EnsureMountPoints lets the agent clean them up.
func ensureTarget(target string, dir bool) error {
	if _, err := os.Stat(target); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("mount target %s: %w", target, err)
	}
	if dir {
		return os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

func dropPrivileges(uid, gid *int64) error {
	if gid != nil {
		if err := syscall.Setgroups([]int{int(*gid)}); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := syscall.Setgid(int(*gid)); err != nil {
			return fmt.Errorf("setgid %d: %w", *gid, err)
		}
	}
	if uid != nil {
		if err := syscall.Setuid(int(*uid)); err != nil {
			return fmt.Errorf("setuid %d: %w", *uid, err)
		}
	}
	return nil
}
