package testlog

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records Log calls and panics on a Log after
// its cleanups ran, as testing.T does after the test completes.
type recorder struct {
	testing.TB
	lines    []string
	cleanups []func()
	finished bool
}

func (r *recorder) Log(args ...any) {
	if r.finished {
		panic("Log in goroutine after test has completed")
	}
	r.lines = append(r.lines, args[0].(string))
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recorder) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.finished = true
}

func TestLinesGoToTheTestUntilItEnds(t *testing.T) {
	rec := &recorder{TB: t}
	log := New(rec, slog.LevelInfo)
	log.Debug("below the level")
	log.Info("during the test", "k", "v")
	rec.finish()
	assert.NotPanics(t, func() { log.Info("after the test") })
	if assert.Len(t, rec.lines, 1) {
		assert.Contains(t, rec.lines[0], `msg="during the test" k=v`)
		assert.NotContains(t, rec.lines[0], "\n")
	}
}
