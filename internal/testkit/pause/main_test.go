package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// helperEnv makes the test binary run pause's run() instead of the tests.
const helperEnv = "MESHPROBE_PAUSE_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(run(nil))
	}
	os.Exit(m.Run())
}

// TestSignals: pause blocks until SIGTERM or SIGINT and then exits 0.
func TestSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=1")
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			// The warning line is printed once the signal handler is installed.
			buf := make([]byte, 256)
			n, err := stderr.Read(buf)
			require.NoError(t, err)
			assert.Contains(t, string(buf[:n]), "not PID 1")
			require.NoError(t, cmd.Process.Signal(sig))
			require.NoError(t, cmd.Wait(), "pause must exit 0 on %v", sig)
		})
	}
}

// TestArgs: -v prints a version line; other arguments are refused.
func TestArgs(t *testing.T) {
	assert.Equal(t, 0, run([]string{"-v"}))
	assert.Equal(t, 2, run([]string{"--bogus"}))
}

// TestReap: reap collects an exited child, once.
func TestReap(t *testing.T) {
	pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
	require.NoError(t, err)
	// Wait for the child to exit without collecting it (WNOWAIT), so the zombie
	// is there for reap.
	var info unix.Siginfo
	require.NoError(t, unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil))
	assert.Equal(t, 1, reap())
	assert.Equal(t, 0, reap())
}
