//go:build linux

package procstat

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// burn spins for d of wall time, which on a busy box is at most d of CPU.
func burn(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func TestCPUAgreesWithSelfCPU(t *testing.T) {
	self0 := SelfCPU()
	proc0, err := CPU(os.Getpid())
	require.NoError(t, err)
	burn(300 * time.Millisecond)
	self, proc := SelfCPU()-self0, mustCPU(t)-proc0
	assert.Positive(t, self)
	// /proc counts in 10 ms ticks, getrusage in µs: they agree to a few ticks.
	assert.InDelta(t, self.Seconds(), proc.Seconds(), 0.05, "getrusage %s, /proc %s", self, proc)
}

func mustCPU(t *testing.T) time.Duration {
	cpu, err := CPU(os.Getpid())
	require.NoError(t, err)
	return cpu
}

func TestStatusBytes(t *testing.T) {
	rss, err := StatusBytes(os.Getpid(), "VmRSS")
	require.NoError(t, err)
	hwm, err := StatusBytes(os.Getpid(), "VmHWM")
	require.NoError(t, err)
	assert.Greater(t, rss, int64(1<<20), "a Go test binary holds more than 1 MiB")
	assert.GreaterOrEqual(t, hwm, rss, "the peak is at least the current RSS")

	_, err = StatusBytes(os.Getpid(), "NoSuchField")
	assert.ErrorContains(t, err, "has no NoSuchField")
	_, err = StatusBytes(os.Getpid(), "Name")
	assert.ErrorContains(t, err, "want a kB figure")
}

func TestMissingProcess(t *testing.T) {
	const noPid = 1 << 30 // above any pid_max
	_, err := CPU(noPid)
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = StatusBytes(noPid, "VmRSS")
	assert.ErrorIs(t, err, os.ErrNotExist)
}
