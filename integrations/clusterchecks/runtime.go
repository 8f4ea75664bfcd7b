package clusterchecks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/internal/controlloop"
)

// runtime is one leadership term.
type runtime struct {
	c        *Controller
	log      *slog.Logger
	term     controlloop.Term // the two ConfigMap informers, the Event broadcaster
	loop     *controlloop.Loop
	sources  listerv1.ConfigMapNamespaceLister // labelled meshprobe.io/checks=true
	target   listerv1.ConfigMapNamespaceLister // ConfigMapName only
	recorder record.EventRecorder
	agg      *Aggregator
	reported map[problem]bool // skipped sources already reported this term
}

// start watches the sources (a label selector) and ConfigMapName (a field
// selector), both in the namespace only, and waits for the caches.
func (c *Controller) start(ctx context.Context) (*runtime, error) {
	rt := &runtime{c: c, log: c.log, agg: NewAggregator(), reported: map[problem]bool{},
		loop: controlloop.New(controlloop.Config{Name: "clusterchecks", Clock: c.cfg.Clock, Log: c.log, Settle: c.cfg.MinInterval})}
	ns := c.cfg.Namespace
	src := c.factory(labels.Set{LabelSource: LabelSourceValue}.String(), "")
	dst := c.factory("", fields.OneTermEqualSelector("metadata.name", ConfigMapName).String())
	rt.term.Factories = []informers.SharedInformerFactory{src, dst}
	srcInf, dstInf := src.Core().V1().ConfigMaps(), dst.Core().V1().ConfigMaps()
	rt.sources, rt.target = srcInf.Lister().ConfigMaps(ns), dstInf.Lister().ConfigMaps(ns)
	synced := make([]cache.InformerSynced, 0, 2)
	for _, inf := range []cache.SharedIndexInformer{srcInf.Informer(), dstInf.Informer()} {
		if _, err := inf.AddEventHandler(rt.loop.OnChange()); err != nil {
			return nil, fmt.Errorf("clusterchecks: watching ConfigMaps: %w", err)
		}
		synced = append(synced, inf.HasSynced)
	}
	rt.recorder = rt.term.Recorder(c.kube, eventComponent, record.WithContext(ctx))
	if !rt.term.Start(ctx, synced...) {
		rt.stop()
		return nil, errors.New("clusterchecks: caches did not sync")
	}
	return rt, nil
}

// factory is an informer factory over the namespace's ConfigMaps that the
// label and field selectors pick, without managedFields.
func (c *Controller) factory(labelSelector, fieldSelector string) informers.SharedInformerFactory {
	return informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithNamespace(c.cfg.Namespace),
		informers.WithTransform(controlloop.StripManagedFields),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector, o.FieldSelector = labelSelector, fieldSelector
		}))
}

// pass aggregates the sources, reports the skipped ones, updates the metrics
// and writes ConfigMapName when it differs.
func (rt *runtime) pass(ctx context.Context) (time.Duration, error) {
	cms, err := rt.sources.List(labels.Everything())
	if err != nil {
		return 0, err
	}
	agg, err := rt.agg.Aggregate(inputs(cms))
	if err != nil {
		return 0, err
	}
	rt.report(cms, agg.Outcomes)
	rt.c.metrics.set(&agg)
	op, err := rt.write(ctx, &agg)
	if err != nil {
		return 0, err
	}
	rt.log.Debug(passDone, "checks", len(agg.Checks), "bytes", len(agg.Data), "sources", summary(agg.Counts()), "wrote", op)
	return rt.c.cfg.Resync, nil
}

// passDone is the message of the Debug line that ends each pass that succeeds.
const passDone = "clusterchecks: pass done"

// summary is the counts by state: "valid=2 invalid=0 duplicate=1 over_budget=0".
func summary(n map[State]int) string {
	parts := make([]string, 0, len(States()))
	for _, s := range States() {
		parts = append(parts, fmt.Sprintf("%s=%d", s, n[s]))
	}
	return strings.Join(parts, " ")
}

// inputs are the sources: each data and binaryData key of each ConfigMap but
// ConfigMapName itself.
func inputs(cms []*corev1.ConfigMap) []Input {
	var in []Input
	for _, cm := range cms {
		if cm.Name == ConfigMapName {
			continue
		}
		for k, v := range cm.Data {
			in = append(in, Input{Source: Source{ConfigMap: cm.Name, Key: k}, Data: v})
		}
		for k := range cm.BinaryData {
			in = append(in, Input{Source: Source{ConfigMap: cm.Name, Key: k}, Binary: true})
		}
	}
	return slices.Clip(in)
}

// stop ends the term: the caches stop and the metrics are no longer exported.
func (rt *runtime) stop() {
	rt.term.Stop()
	rt.c.metrics.set(nil)
}
