package gossipkeys

import (
	"context"
	"errors"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/controlloop"
)

// runtime is one leadership term: caches, the Event recorder and what the task
// remembers between passes.
type runtime struct {
	c          *Controller
	log        *slog.Logger
	term       controlloop.Term // the namespace, pod and Secret informers, the Event broadcaster
	loop       *controlloop.Loop
	namespaces listerv1.NamespaceLister
	pods       listerv1.PodLister
	secrets    listerv1.SecretLister
	recorder   record.EventRecorder

	rotating     bool            // a rotation is in progress: poll the mesh
	replaced     string          // resourceVersion of the source our last write replaced
	invalidRV    string          // resourceVersion of the invalid source last reported
	conflicts    map[string]bool // namespaces whose foreign Secret was reported
	blockers     string          // the last logged blockers
	lastReported time.Time       // the last RotationWaiting Event
}

// start builds and syncs the caches: all namespaces, the injected pods
// (meshprobe.io/member=true, trimmed to what the task reads) and the Secrets
// named meshprobe-gossip-key in every namespace (both without managedFields).
func (c *Controller) start(ctx context.Context) (*runtime, error) {
	rt := &runtime{c: c, log: c.log, conflicts: map[string]bool{},
		loop: controlloop.New(controlloop.Config{Name: "gossipkeys", Clock: c.cfg.Clock, Log: c.log})}
	nsF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTransform(controlloop.StripManagedFields))
	podF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = contract.LabelMember + "=true"
	}))
	secF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTransform(controlloop.StripManagedFields),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", contract.GossipKeySecretName).String()
		}))
	rt.term.Factories = []informers.SharedInformerFactory{nsF, podF, secF}
	nsInf, podInf, secInf := nsF.Core().V1().Namespaces(), podF.Core().V1().Pods(), secF.Core().V1().Secrets()
	if err := podInf.Informer().SetTransform(trimPod); err != nil {
		return nil, err
	}
	rt.namespaces, rt.pods, rt.secrets = nsInf.Lister(), podInf.Lister(), secInf.Lister()
	synced := make([]cache.InformerSynced, 0, 3)
	for _, inf := range []cache.SharedIndexInformer{nsInf.Informer(), podInf.Informer(), secInf.Informer()} {
		if _, err := inf.AddEventHandler(rt.loop.OnChange()); err != nil {
			return nil, err
		}
		synced = append(synced, inf.HasSynced)
	}
	rt.recorder = rt.term.Recorder(c.kube, eventComponent, record.WithContext(ctx))
	if !rt.term.Start(ctx, synced...) {
		rt.term.Stop()
		return nil, errors.New("gossipkeys: caches did not sync")
	}
	return rt, nil
}

// trimPod keeps what the task reads of a pod: identity, labels, deletion and
// the Ready condition.
func trimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	out := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: p.Name, Namespace: p.Namespace, UID: p.UID, Labels: p.Labels,
		ResourceVersion: p.ResourceVersion, DeletionTimestamp: p.DeletionTimestamp,
	}}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			out.Status.Conditions = []corev1.PodCondition{{Type: c.Type, Status: c.Status}}
		}
	}
	return out, nil
}
