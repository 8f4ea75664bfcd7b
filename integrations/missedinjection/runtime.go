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
	breaker     *breaker           // the repair's restarts and suspensions (this term or by Events)
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
	if rt.breaker, err = c.repairHistory(ctx); err != nil {
		rt.log.Warn("missedinjection: cannot tell which workloads an earlier leader restarted; the loop breaker starts afresh", "err", err)
		rt.breaker = newBreaker(&c.cfg)
	}
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
	list, err := c.events(ctx, fields.Set{"reason": ReasonMissed, "involvedObject.kind": "Pod"})
	if err != nil {
		return nil, err
	}
	out := make(map[types.UID]bool, len(list.Items))
	for _, e := range list.Items {
		out[e.InvolvedObject.UID] = true
	}
	return out, nil
}

// repairHistory is the loop breaker as the Events left it: the restarts (each
// Event at its last time, as many times as it was counted) and the suspensions
// that earlier leaders recorded, while the API server keeps them (--event-ttl,
// 1 h by default). Without repair there is nothing to read.
func (c *Controller) repairHistory(ctx context.Context) (*breaker, error) {
	b := newBreaker(&c.cfg)
	if c.cfg.Repair != RepairRestart {
		return b, nil
	}
	for _, reason := range []string{ReasonRestarted, ReasonRepairSuspended} {
		list, err := c.events(ctx, fields.Set{"reason": reason})
		if err != nil {
			return nil, err
		}
		for _, e := range list.Items {
			w := workload{kind: e.InvolvedObject.Kind, namespace: e.InvolvedObject.Namespace, name: e.InvolvedObject.Name}
			if reason == ReasonRepairSuspended {
				b.suspended[w] = true
				continue
			}
			for range max(e.Count, 1) {
				b.record(w, eventTime(e))
			}
		}
	}
	return b, nil
}

// events lists the Events in every namespace that match the field set.
func (c *Controller) events(ctx context.Context, sel fields.Set) (*corev1.EventList, error) {
	list, err := c.kube.CoreV1().Events("").List(ctx, metav1.ListOptions{FieldSelector: sel.AsSelector().String()})
	if err != nil {
		return nil, fmt.Errorf("missedinjection: listing earlier %s Events: %w", sel["reason"], err)
	}
	return list, nil
}

// eventTime is when an Event last happened.
func eventTime(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}

// stop ends the term: the caches stop and the metric is no longer exported.
func (rt *runtime) stop() {
	rt.term.Stop()
	rt.c.metrics.Set(nil)
	rt.c.suspended.Set(nil)
}
