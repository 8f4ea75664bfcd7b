//go:build unix

// Package procstat reads the CPU time and memory of processes, for the
// benchmarks that report what meshprobe's binaries cost: getrusage for the
// calling process, /proc/<pid>/stat and /proc/<pid>/status for another one.
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// SelfCPU returns the user plus system CPU time of the calling process.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail for RUSAGE_SELF
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPU returns the user plus system CPU time of process pid, from
// /proc/<pid>/stat, to 10 ms.
func CPU(pid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which may hold spaces, start after ") ".
	_, afterName, found := strings.Cut(string(data), ") ")
	fields := strings.Fields(afterName)
	if !found || len(fields) < 13 {
		return 0, fmt.Errorf("procstat: %s: unexpected format", path)
	}
	utime, errU := strconv.ParseInt(fields[11], 10, 64) // field 14 of stat
	stime, errS := strconv.ParseInt(fields[12], 10, 64) // field 15
	if errU != nil || errS != nil {
		return 0, fmt.Errorf("procstat: %s: utime %q, stime %q are not numbers", path, fields[11], fields[12])
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// StatusBytes returns a kB field of /proc/<pid>/status, such as "VmRSS" or
// "VmHWM", in bytes.
func StatusBytes(pid int, field string) (int64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("procstat: %s: %s is %q, want a kB figure", path, field, strings.TrimSpace(v))
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("procstat: %s has no %s", path, field)
}
