package sidecar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"time"
)

// changeDetector tells whether files read again differ from the last read.
type changeDetector struct {
	last [sha256.Size]byte
	seen bool
}

// changed records the contents of this read and reports whether they differ
// from the last one (always true on the first read).
func (d *changeDetector) changed(contents ...[]byte) bool {
	sum := sha256.Sum256(bytes.Join(contents, []byte{0}))
	changed := !d.seen || sum != d.last
	d.last, d.seen = sum, true
	return changed
}

// pollEvery calls fn every interval until ctx ends. The kubelet updates
// ConfigMap, Secret and Downward API volumes with an atomic symlink swap, which
// a re-read sees.
func pollEvery(ctx context.Context, every time.Duration, fn func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn()
	}
}
