package sidecar

import (
	"context"
	"time"
)

// Bounds of the wait between two starts of a gossip member that failed.
const (
	meshRetryMin = time.Second
	meshRetryMax = time.Minute
)

// runMesh runs the gossip member until ctx ends. When the member fails to start
// (its port taken, a keyring it cannot build) the sidecar does not exit: a
// restarting sidecar container makes the app's pod NotReady (a native sidecar
// counts toward ContainersReady). The failure shows on /readyz (503, state
// "failed", the error as detail), in the gossip metrics and the log, and
// runMesh starts the member again, with a backoff of 1 s doubling to 1 minute.
// Key trouble never gets here: the member waits for a usable key file.
func (a *Agent) runMesh(ctx context.Context) error {
	wait := meshRetryMin
	for {
		err := a.mesh.Run(ctx)
		if err == nil {
			return nil
		}
		a.log.Error("sidecar: gossip failed; serving on and starting it again", "err", err, "retryIn", wait)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		wait = min(2*wait, meshRetryMax)
	}
}
