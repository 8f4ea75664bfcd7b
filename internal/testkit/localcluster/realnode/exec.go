package realnode

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
	"syscall"

	"golang.org/x/sys/unix"
)

// ExecSubcommand is the meshprobe-localcluster subcommand that runs a node component
// (ExecMain).
const ExecSubcommand = "node-exec"

// execArgs returns the helper's arguments that run path with args in the node's
// network namespace and daemon cgroup.
func execArgs(netns, cgroupDir, path string, args ...string) []string {
	return append([]string{ExecSubcommand, "--netns=" + netns, "--cgroup=" + cgroupDir, "--", path}, args...)
}

// ExecMain joins a cgroup (every process of the node is in one subtree, for Stop to
// find) and a network namespace, then execs the command. It returns only on error,
// with the exit code to use.
func ExecMain(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(ExecSubcommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	netns := fs.String("netns", "", "network namespace name (/run/netns/NAME)")
	cgroup := fs.String("cgroup", "", "cgroup directory to join (its cgroup.procs)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 || *netns == "" || *cgroup == "" {
		fmt.Fprintln(stderr, "node-exec: usage: node-exec --netns NAME --cgroup DIR -- PATH [ARGS...]")
		return 2
	}
	err := enterNode(*netns, *cgroup, fs.Arg(0), fs.Args())
	fmt.Fprintf(stderr, "node-exec: %v\n", err)
	return 127
}

func enterNode(netns, cgroup, path string, argv []string) error {
	// Join the cgroup first: every child the command forks starts in it.
	pid := []byte(strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(filepath.Join(cgroup, "cgroup.procs"), pid, 0o644); err != nil {
		return fmt.Errorf("joining cgroup %s: %w", cgroup, err)
	}
	runtime.LockOSThread() // setns applies to this thread, which then execs
	f, err := os.Open(filepath.Join("/run/netns", netns))
	if err != nil {
		return fmt.Errorf("opening netns: %w", err)
	}
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("joining netns %s: %w", netns, err)
	}
	_ = f.Close()
	bin, err := exec.LookPath(path)
	if err != nil {
		return err
	}
	err = syscall.Exec(bin, argv, os.Environ())
	return errors.Join(fmt.Errorf("exec %s", bin), err)
}
