package controlloop

import (
	"context"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// Term is what a controller starts for one leadership term and stops at its
// end: its informer factories and its Event broadcaster. Set the fields, then
// Start; call Stop once, after the context given to Start has ended.
type Term struct {
	// Factories are started by Start and shut down by Stop.
	Factories []informers.SharedInformerFactory
	// Broadcaster, when set, is shut down by Stop.
	Broadcaster record.EventBroadcaster
}

// Start starts the informers of every factory and waits until each of synced
// reports true. It reports false when ctx ended first.
func (t *Term) Start(ctx context.Context, synced ...cache.InformerSynced) bool {
	for _, f := range t.Factories {
		f.Start(ctx.Done())
	}
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

// Stop shuts down the factories, waiting for their informers to end (so the
// context given to Start must have ended, or must end meanwhile), then the
// broadcaster.
func (t *Term) Stop() {
	for _, f := range t.Factories {
		f.Shutdown()
	}
	if t.Broadcaster != nil {
		t.Broadcaster.Shutdown()
	}
}
