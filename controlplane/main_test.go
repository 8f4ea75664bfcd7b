package controlplane

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestMain gives controller-runtime's global logger a sink, as Main does, for
// the tests that run the program in-process through runArgs (which, like
// every constructor, leaves process-wide state alone): otherwise
// controller-runtime prints a "log.SetLogger(...) was never called" stack.
func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.FromSlogHandler(slog.DiscardHandler))
	os.Exit(m.Run())
}

// runArgs is Main without its process-wide setup (GOGC, signals, global
// loggers), stopped by ctx: the whole program otherwise.
func runArgs(ctx context.Context, args []string) int {
	o, log, code := configure(args, io.Discard)
	if o == nil {
		return code
	}
	return run(ctx, o, log)
}

func TestMainRejectsBadFlags(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 2, Main([]string{"--no-such-flag"}, &stderr))
	assert.Contains(t, stderr.String(), "no-such-flag")
	stderr.Reset()
	assert.Equal(t, 2, Main([]string{"--log-level=loud"}, &stderr))
	assert.Contains(t, stderr.String(), "meshprobe-webhook: logging: invalid --log-level")
	assert.Equal(t, 0, Main([]string{"-help"}, io.Discard))
}
