package missedinjection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/internal/controlloop"
)

// runtime is one leadership term.
type runtime struct {
	c          *Controller
	log        *slog.Logger
	term       controlloop.Term // the pod and namespace informers, the Event broadcaster
	loop       *controlloop.Loop
	pods       listerv1.PodLister
	namespaces listerv1.NamespaceLister
	recorder   record.EventRecorder

	reported    map[types.UID]bool // missed pods already reported (this term or by Events)
	lastRestart time.Time          // the last repair restart, for RepairInterval
}

func (c *Controller) start(ctx context.Context) (*runtime, error) {
	rt := &runtime{c: c, log: c.log, loop: controlloop.New(controlloop.Config{
		Name: "missedinjection", Clock: c.cfg.Clock, Log: c.log, Settle: c.cfg.MinInterval,
	})}
	// Namespaces lose their managedFields; pods are trimmed further (trimPod).
	factory := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTransform(controlloop.StripManagedFields))
	rt.term.Factories = []informers.SharedInformerFactory{factory}
	podInf, nsInf := factory.Core().V1().Pods(), factory.Core().V1().Namespaces()
	if err := podInf.Informer().SetTransform(trimPod); err != nil {
		return nil, err
	}
	rt.pods, rt.namespaces = podInf.Lister(), nsInf.Lister()
	for _, inf := range []cache.SharedIndexInformer{podInf.Informer(), nsInf.Informer()} {
		if _, err := inf.AddEventHandler(rt.loop.OnChange()); err != nil {
			return nil, err
		}
	}
	reported, err := c.alreadyReported(ctx)
	if err != nil { // e.g. no RBAC to list Events: report again rather than not at all
		rt.log.Warn("missedinjection: cannot tell which pods an earlier leader reported; they may be reported again", "err", err)
		reported = map[types.UID]bool{}
	}
	rt.reported = reported
	rt.recorder = rt.term.Recorder(c.kube, eventComponent, record.WithContext(ctx))
	if !rt.term.Start(ctx, podInf.Informer().HasSynced, nsInf.Informer().HasSynced) {
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
	rt.term.Stop()
	rt.c.metrics.Set(nil)
}
