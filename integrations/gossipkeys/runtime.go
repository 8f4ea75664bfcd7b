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
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// runtime is one leadership term: caches, the Event recorder and what the task
// remembers between passes.
type runtime struct {
	c           *Controller
	log         *slog.Logger
	factories   []informers.SharedInformerFactory
	namespaces  listerv1.NamespaceLister
	pods        listerv1.PodLister
	secrets     listerv1.SecretLister
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	kicks       chan struct{}

	rotating     bool            // a rotation is in progress: poll the mesh
	replaced     string          // resourceVersion of the source our last write replaced
	invalidRV    string          // resourceVersion of the invalid source last reported
	conflicts    map[string]bool // namespaces whose foreign Secret was reported
	blockers     string          // the last logged blockers
	lastReported time.Time       // the last RotationWaiting Event
}

// start builds and syncs the caches: all namespaces, the injected pods
// (meshprobe.io/member=true, trimmed to what the task reads) and the Secrets
// named meshprobe-gossip-key in every namespace.
func (c *Controller) start(ctx context.Context) (*runtime, error) {
	rt := &runtime{c: c, log: c.log, kicks: make(chan struct{}, 1), conflicts: map[string]bool{}}
	nsF := informers.NewSharedInformerFactory(c.kube, 0)
	podF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = contract.LabelMember + "=true"
	}))
	secF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", contract.GossipKeySecretName).String()
	}))
	rt.factories = []informers.SharedInformerFactory{nsF, podF, secF}
	nsInf, podInf, secInf := nsF.Core().V1().Namespaces(), podF.Core().V1().Pods(), secF.Core().V1().Secrets()
	if err := podInf.Informer().SetTransform(trimPod); err != nil {
		return nil, err
	}
	rt.namespaces, rt.pods, rt.secrets = nsInf.Lister(), podInf.Lister(), secInf.Lister()
	kick := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { rt.kick() }, UpdateFunc: func(any, any) { rt.kick() }, DeleteFunc: func(any) { rt.kick() },
	}
	synced := make([]cache.InformerSynced, 0, 3)
	for _, inf := range []cache.SharedIndexInformer{nsInf.Informer(), podInf.Informer(), secInf.Informer()} {
		if _, err := inf.AddEventHandler(kick); err != nil {
			return nil, err
		}
		synced = append(synced, inf.HasSynced)
	}
	rt.broadcaster = record.NewBroadcaster(record.WithContext(ctx))
	rt.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.kube.CoreV1().Events("")})
	rt.recorder = rt.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: eventComponent})
	for _, f := range rt.factories {
		f.Start(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		rt.stop()
		return nil, errors.New("gossipkeys: caches did not sync")
	}
	return rt, nil
}

func (rt *runtime) stop() {
	for _, f := range rt.factories {
		f.Shutdown()
	}
	rt.broadcaster.Shutdown()
}

func (rt *runtime) kick() {
	select {
	case rt.kicks <- struct{}{}:
	default:
	}
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
