//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// e2eCIDR is the pod range of the suite's local cluster. Its node network, bridge
// and routes are the machine's, so two local e2e runs at once would collide;
// lockMachine makes the second wait for the first.
const e2eCIDR = "10.243.0.0/16"

// lockMachine takes an exclusive lock on this machine's e2e cluster (a file lock
// in the temporary directory, released when the process exits however it ends),
// waiting up to timeout for another run to finish and saying so. The returned
// function releases it.
func lockMachine(timeout time.Duration) (func(), error) {
	path := filepath.Join(os.TempDir(), "meshprobe-e2e-cluster.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("e2e: machine lock: %w", err)
	}
	release := func() { _ = f.Close() } // closing the file drops the lock
	deadline := time.Now().Add(timeout)
	for waited := false; ; waited = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return release, nil
		}
		if err != syscall.EWOULDBLOCK {
			release()
			return nil, fmt.Errorf("e2e: machine lock %s: %w", path, err)
		}
		if !waited {
			fmt.Fprintf(os.Stderr, "e2e: another e2e run holds %s (its cluster uses %s); waiting up to %s\n", path, e2eCIDR, timeout)
		}
		if time.Now().After(deadline) {
			release()
			return nil, fmt.Errorf("e2e: another e2e run still holds %s after %s", path, timeout)
		}
		time.Sleep(time.Second)
	}
}
