package controlplane

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
