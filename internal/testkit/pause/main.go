// Command pause is the pod sandbox ("pause") image's program for meshprobe's local
// cluster, where registry.k8s.io/pause cannot be pulled: it holds the pod's
// namespaces by doing nothing until SIGTERM or SIGINT, and, as the PID 1 of the
// pod's shared PID namespace, reaps the zombies that other containers leave. It
// does what the upstream pause.c does, in Go so that it builds here, statically.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(run(os.Args[1:])) }

// run waits for SIGTERM or SIGINT, reaping children on SIGCHLD, and returns the
// exit code: 0 after a signal, 2 for arguments other than -v.
func run(args []string) int {
	if len(args) == 1 && args[0] == "-v" {
		fmt.Println("pause (meshprobe local cluster)")
		return 0
	}
	if len(args) > 0 {
		fmt.Fprintln(os.Stderr, "usage: pause [-v]")
		return 2
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	if os.Getpid() != 1 {
		// After Notify: the warning also tells a test that signals are handled.
		fmt.Fprintln(os.Stderr, "pause: warning: not PID 1, so orphans are not reaped here")
	}
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			fmt.Fprintf(os.Stderr, "pause: shutting down, got signal %v\n", sig)
			return 0
		}
		reap()
	}
	return 0
}

// reap collects every child that has exited, without blocking, and returns how
// many. Signals coalesce, so one SIGCHLD may stand for several children.
func reap() int {
	n := 0
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return n
		}
		n++
	}
}
