package localclustercmd

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster"
)

// envHostAPIServer tells the re-executed process where the host-side relay to its
// apiserver listens.
const envHostAPIServer = "MESHPROBE_LOCALCLUSTER_HOST_APISERVER"

// apiServerSocket is the unix socket in the state directory through which the host
// reaches the apiserver inside the rootless namespaces.
const apiServerSocket = "apiserver.sock"

// rootlessParent runs the cluster without root: it re-executes this command inside a
// new user namespace (mapping the caller to root there) with its own network and
// mount namespaces, where bridges, network namespaces and mounts are allowed, and
// relays 127.0.0.1:<port> on the host to the apiserver inside.
func rootlessParent(args []string, o *options, log *slog.Logger) int {
	dir := o.cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "meshprobe-localcluster-")
		if err != nil {
			log.Error("rootless", "err", err)
			return 1
		}
		dir = d
		if !o.keep {
			defer os.RemoveAll(dir)
		}
		args = append(args, "--dir", dir, "--keep")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Error("rootless: host relay", "err", err)
		return 1
	}
	defer l.Close()
	go relay(l, func() (net.Conn, error) { return net.Dial("unix", filepath.Join(dir, apiServerSocket)) })
	log.Info("not root: running the cluster in a user namespace of its own (rootless)", "apiserver", l.Addr().String())
	return runChild(args, l.Addr().String(), log)
}

func runChild(args []string, hostAPI string, log *slog.Logger) int {
	self, err := os.Executable()
	if err != nil {
		log.Error("rootless", "err", err)
		return 1
	}
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), localcluster.EnvRootless+"=1", envHostAPIServer+"="+hostAPI)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
		Pdeathsig:   syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		log.Error("rootless: starting in a user namespace (are unprivileged user namespaces enabled?)", "err", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for range sigs {
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
	}()
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode()
		}
		return 1
	}
	return 0
}

// relay copies every connection accepted on l to a connection from dial, both ways.
func relay(l net.Listener, dial func() (net.Conn, error)) {
	for {
		in, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer in.Close()
			out, err := dial()
			if err != nil {
				return
			}
			defer out.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
			go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
			<-done
		}()
	}
}

// serveAPIServerSocket is the inside half of the relay: unix socket -> apiserver.
func serveAPIServerSocket(dir, apiserver string) (io.Closer, error) {
	path := filepath.Join(dir, apiServerSocket)
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("rootless: apiserver socket: %w", err)
	}
	go relay(l, func() (net.Conn, error) { return net.DialTimeout("tcp", apiserver, 5*time.Second) })
	return l, nil
}
