package webhookcerts

import (
	"context"
	"errors"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/integrations/leader"
)

// TaskName is the leader task's name.
const TaskName = "webhook-certs"

// Event reasons: on the Secret, and ReasonBundlePatched on the
// MutatingWebhookConfiguration.
const (
	ReasonCACreated     = "WebhookCACreated"
	ReasonCertIssued    = "WebhookCertIssued"
	ReasonBundlePatched = "WebhookCABundlePatched"
	eventComponent      = "meshprobe-webhook-certs"
)

// Controller is the leader task of the built-in certificate mode.
type Controller struct {
	cfg  Config
	kube kubernetes.Interface
	log  *slog.Logger
}

// New validates cfg and returns the controller.
func New(cfg Config, kube kubernetes.Interface, log *slog.Logger) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if kube == nil {
		return nil, errors.New("webhookcerts: a Kubernetes client is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Controller{cfg: cfg, kube: kube, log: log.With("task", TaskName)}, nil
}

// Task returns the controller as a leader-only task.
func (c *Controller) Task() leader.Task { return leader.Task{Name: TaskName, Run: c.Run} }

// runtime is one leadership term.
type runtime struct {
	c           *Controller
	log         *slog.Logger
	factories   []informers.SharedInformerFactory
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	kicks       chan struct{}
	missing     bool // the webhook configuration was reported missing this term
}

// Run keeps the certificates until ctx ends. It watches the Secret and the
// webhook configuration only to notice changes; each pass reads both from the
// API. It returns an error only when its watches cannot start; a failing pass
// is retried with backoff.
func (c *Controller) Run(ctx context.Context) error {
	rt := &runtime{c: c, log: c.log, kicks: make(chan struct{}, 1)}
	byName := func(name string) informers.SharedInformerOption {
		return informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		})
	}
	secF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithNamespace(c.cfg.Namespace), byName(c.cfg.SecretName))
	whF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, byName(c.cfg.WebhookConfigName))
	rt.factories = []informers.SharedInformerFactory{secF, whF}
	sec, wh := secF.Core().V1().Secrets(), whF.Admissionregistration().V1().MutatingWebhookConfigurations()
	kick := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { rt.kick() }, UpdateFunc: func(any, any) { rt.kick() }, DeleteFunc: func(any) { rt.kick() },
	}
	for _, inf := range []cache.SharedIndexInformer{sec.Informer(), wh.Informer()} {
		if _, err := inf.AddEventHandler(kick); err != nil {
			return err
		}
	}
	rt.broadcaster = record.NewBroadcaster(record.WithContext(ctx))
	rt.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: c.kube.CoreV1().Events("")})
	rt.recorder = rt.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: eventComponent})
	defer rt.stop()
	for _, f := range rt.factories {
		f.Start(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), sec.Informer().HasSynced, wh.Informer().HasSynced) {
		return errors.New("webhookcerts: caches did not sync")
	}
	rt.loop(ctx)
	return nil
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

// loop runs a pass on every change, when a certificate is due, at least every
// Resync, and with backoff after a failure.
func (rt *runtime) loop(ctx context.Context) {
	var retry time.Duration
	for {
		wait, err := rt.pass(ctx)
		if err != nil {
			retry = min(max(2*retry, time.Second), 30*time.Second)
			wait = retry
			if ctx.Err() == nil {
				rt.log.Warn("webhookcerts: pass failed; retrying", "in", retry, "err", err)
			}
		} else {
			retry = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-rt.kicks:
		case <-rt.c.cfg.Clock.After(wait):
		}
	}
}
