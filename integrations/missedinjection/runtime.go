package missedinjection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// runtime is one leadership term.
type runtime struct {
	c           *Controller
	log         *slog.Logger
	factory     informers.SharedInformerFactory
	pods        listerv1.PodLister
	namespaces  listerv1.NamespaceLister
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	kicks       chan struct{}

	reported    map[types.UID]bool // missed pods already reported (this term or by Events)
	lastRestart time.Time          // the last repair restart, for RepairInterval
}

func (c *Controller) start(ctx context.Context) (*runtime, error) {
	rt := &runtime{c: c, log: c.log, kicks: make(chan struct{}, 1)}
	rt.factory = informers.NewSharedInformerFactory(c.kube, 0)
	podInf, nsInf := rt.factory.Core().V1().Pods(), rt.factory.Core().V1().Namespaces()
	if err := podInf.Informer().SetTransform(trimPod); err != nil {
		return nil, err
	}
	rt.pods, rt.namespaces = podInf.Lister(), nsInf.Lister()
	kick := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { rt.kick() }, UpdateFunc: func(any, any) { rt.kick() }, DeleteFunc: func(any) { rt.kick() },
	}
	for _, inf := range []cache.SharedIndexInformer{podInf.Informer(), nsInf.Informer()} {
		if _, err := inf.AddEventHandler(kick); err != nil {
			return nil, err
		}
	}
	reported, err := c.alreadyReported(ctx)
	if err != nil { // e.g. no RBAC to list Events: report again rather than not at all
		rt.log.Warn("missedinjection: cannot tell which pods an earlier leader reported; they may be reported again", "err", err)
		reported = map[types.UID]bool{}
	}
	rt.reported = reported
	rt.broadcaster = record.NewBroadcaster(record.WithContext(ctx))
	rt.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.kube.CoreV1().Events("")})
	rt.recorder = rt.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: eventComponent})
	rt.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInf.Informer().HasSynced, nsInf.Informer().HasSynced) {
		rt.stop()
		return nil, errors.New("missedinjection: caches did not sync")
	}
	return rt, nil
}

// alreadyReported lists the pods a previous leader reported (their Events still
// exist), so a new term does not report them again.
func (c *Controller) alreadyReported(ctx context.Context) (map[types.UID]bool, error) {
	sel := fields.Set{"reason": ReasonMissed, "involvedObject.kind": "Pod"}.AsSelector().String()
	list, err := c.kube.CoreV1().Events("").List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("missedinjection: listing earlier reports: %w", err)
	}
	out := make(map[types.UID]bool, len(list.Items))
	for _, e := range list.Items {
		out[e.InvolvedObject.UID] = true
	}
	return out, nil
}

// stop ends the term: the caches stop and the metric is no longer exported.
func (rt *runtime) stop() {
	rt.factory.Shutdown()
	rt.broadcaster.Shutdown()
	rt.c.metrics.set(nil)
}

func (rt *runtime) kick() {
	select {
	case rt.kicks <- struct{}{}:
	default:
	}
}
