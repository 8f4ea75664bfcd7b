package webhookcerts

import (
	"context"
	"errors"
	"log/slog"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/internal/controlloop"
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
	c        *Controller
	log      *slog.Logger
	recorder record.EventRecorder
	missing  bool // the webhook configuration was reported missing this term
}

// Run keeps the certificates until ctx ends. It watches the Secret and the
// webhook configuration only to notice changes; each pass reads both from the
// API. It runs a pass on every change, when a certificate is due and at least
// every Resync. It returns an error only when its watches cannot start; a
// failing pass is retried with backoff (controlloop.Loop).
func (c *Controller) Run(ctx context.Context) error {
	rt := &runtime{c: c, log: c.log}
	loop := controlloop.New(controlloop.Config{Name: "webhookcerts", Clock: c.cfg.Clock, Log: c.log})
	byName := func(name string) informers.SharedInformerOption {
		return informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		})
	}
	secF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithNamespace(c.cfg.Namespace), byName(c.cfg.SecretName))
	whF := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, byName(c.cfg.WebhookConfigName))
	term := controlloop.Term{Factories: []informers.SharedInformerFactory{secF, whF}}
	sec, wh := secF.Core().V1().Secrets(), whF.Admissionregistration().V1().MutatingWebhookConfigurations()
	for _, inf := range []cache.SharedIndexInformer{sec.Informer(), wh.Informer()} {
		if _, err := inf.AddEventHandler(loop.OnChange()); err != nil {
			return err
		}
	}
	rt.recorder = term.Recorder(c.kube, eventComponent, record.WithContext(ctx))
	defer term.Stop()
	if !term.Start(ctx, sec.Informer().HasSynced, wh.Informer().HasSynced) {
		return errors.New("webhookcerts: caches did not sync")
	}
	loop.Run(ctx, rt.pass)
	return nil
}
