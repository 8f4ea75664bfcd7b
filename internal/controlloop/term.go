package controlloop

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
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

// Recorder sets the term's Broadcaster to a new one, made with opts, that writes
// Events through kube's Events API until Stop, and returns a recorder that
// reports them as from component.
func (t *Term) Recorder(kube kubernetes.Interface, component string, opts ...record.BroadcasterOption) record.EventRecorder {
	t.Broadcaster = record.NewBroadcaster(opts...)
	t.Broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	return t.Broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component})
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
