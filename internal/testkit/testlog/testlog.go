// Package testlog gives tests a *slog.Logger that writes to the test's log.
//
// Lines logged after the test has finished are dropped instead of written:
// testing panics on a t.Log after completion, and some goroutines outlive
// the code under test by design (memberlist's suspicion timers, for one, fire
// after Shutdown).
package testlog

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// New returns a text logger at level that writes each line with tb.Log until
// tb's cleanups run, and drops lines after that.
func New(tb testing.TB, level slog.Level) *slog.Logger {
	w := &writer{tb: tb}
	tb.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type writer struct {
	mu     sync.Mutex
	tb     testing.TB
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *writer) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
