package thousandeyes

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes/config"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes/reconciler"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/controlloop"
)

// runtime is the state of one Run: its informer, API client, reconciler and
// what it remembers between passes.
type runtime struct {
	c          *Controller
	rec        *reconciler.Reconciler
	term       controlloop.Term // the ConfigMap informer, the Event broadcaster
	configMaps coreinformers.ConfigMapInformer
	lister     listerv1.ConfigMapLister
	recorder   record.EventRecorder
	kicks      controlloop.Kicker
	optIn      *optIn
	nsFactory  informers.SharedInformerFactory // nil when one namespace is watched
	install    string

	mu         sync.Mutex
	parsed     map[string]parsed       // by key: the last parse of config.yaml
	tombstones map[string]*config.File // deleted ConfigMaps: their last valid config
	reported   map[string]string       // by key: the last annotation written
	ignored    map[string]bool         // by key: ConfigMaps last seen ignored (logged once)
}

type parsed struct {
	data string
	file *config.File
	err  error
}

func (c *Controller) newRuntime(ctx context.Context) (*runtime, error) {
	token, err := c.cfg.token()
	if err != nil {
		return nil, err
	}
	install, err := c.installID(ctx)
	if err != nil {
		return nil, err
	}
	api, err := client.New(client.Config{
		BaseURL: c.cfg.APIURL, Token: token, AID: c.cfg.AID, HTTPClient: c.cfg.HTTPClient,
		Timeout: c.cfg.RequestTimeout, BudgetShare: c.cfg.BudgetShare, OrgLimit: c.cfg.OrgLimit,
		Window: c.cfg.RateWindow, Observe: c.metrics.observeAPI, Logger: c.log, BeforeWrite: c.guard,
	})
	if err != nil {
		return nil, fmt.Errorf("thousandeyes: %w", err)
	}
	rec, err := reconciler.New(reconciler.Config{
		Prune: c.cfg.Prune, AdoptByURL: c.cfg.AdoptByURL, WriteTimeout: c.cfg.RequestTimeout,
		Install: install, Guard: c.guard,
	}, api, c.log)
	if err != nil {
		return nil, fmt.Errorf("thousandeyes: %w", err)
	}
	rt := &runtime{
		c: c, kicks: controlloop.NewKicker(), rec: rec, install: install,
		parsed: map[string]parsed{}, tombstones: map[string]*config.File{}, reported: map[string]string{},
		ignored: map[string]bool{},
	}
	factory := informers.NewSharedInformerFactoryWithOptions(c.kube, 0,
		informers.WithNamespace(c.cfg.Namespace), informers.WithTransform(controlloop.StripManagedFields),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = c.cfg.Selector }))
	rt.configMaps = factory.Core().V1().ConfigMaps()
	rt.optIn, rt.nsFactory = c.newOptIn()
	rt.term = controlloop.Term{Factories: []informers.SharedInformerFactory{factory}}
	if rt.nsFactory != nil {
		rt.term.Factories = append(rt.term.Factories, rt.nsFactory)
	}
	return rt, nil
}

// start wires the informer and the event sink and waits for the cache.
func (rt *runtime) start(ctx context.Context) error {
	inf := rt.configMaps
	rt.lister = inf.Lister()
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { rt.changed(nil, obj) },
		UpdateFunc: rt.changed,
		DeleteFunc: rt.deleted,
	}); err != nil {
		return fmt.Errorf("thousandeyes: watching ConfigMaps: %w", err)
	}
	synced := []cache.InformerSynced{inf.Informer().HasSynced}
	if rt.nsFactory != nil {
		nsSynced, err := rt.optIn.watch(rt.nsFactory, rt.kicks.Kick)
		if err != nil {
			return err
		}
		synced = append(synced, nsSynced)
	}
	rt.recorder = rt.term.Recorder(rt.c.kube, EventComponent)
	if !rt.term.Start(ctx, synced...) {
		return fmt.Errorf("thousandeyes: ConfigMap cache did not sync")
	}
	return nil
}

// changed kicks a pass when config.yaml (or the object's identity) changed; our
// own annotation writes and informer resyncs do not.
func (rt *runtime) changed(oldObj, newObj any) {
	cm, ok := newObj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	rt.mu.Lock()
	delete(rt.tombstones, key(cm))
	rt.mu.Unlock()
	if old, ok := oldObj.(*corev1.ConfigMap); ok && old.UID == cm.UID &&
		old.Data[contract.ThousandEyesConfigKey] == cm.Data[contract.ThousandEyesConfigKey] {
		return
	}
	// A ConfigMap in a namespace that is not opted in costs no pass (a pass is
	// an API call from the shared budget); the next pass reports it.
	if rt.optIn.allows(cm.Namespace) {
		rt.kicks.Kick()
	}
}

// deleted remembers the ConfigMap's last valid config, so its prune and dryRun
// still apply to its tests, and kicks a pass. A ConfigMap whose namespace is not
// opted in leaves no such memory: only the global prune can delete its tests.
func (rt *runtime) deleted(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok {
		return
	}
	allowed := rt.optIn.allows(cm.Namespace)
	rt.mu.Lock()
	k := key(cm)
	p := rt.parse(k, cm)
	if allowed {
		rt.tombstones[k] = p.file
	}
	delete(rt.parsed, k)
	delete(rt.reported, k)
	delete(rt.ignored, k)
	rt.mu.Unlock()
	if allowed {
		rt.kicks.Kick()
	}
}

func key(cm *corev1.ConfigMap) string { return cm.Namespace + "/" + cm.Name }

// parse returns the cached parse of cm's config.yaml. The caller holds rt.mu.
func (rt *runtime) parse(k string, cm *corev1.ConfigMap) parsed {
	data, ok := cm.Data[contract.ThousandEyesConfigKey]
	if p, hit := rt.parsed[k]; hit && p.data == data && ok {
		return p
	}
	p := parsed{data: data}
	if !ok {
		p.err = fmt.Errorf("config.yaml: key missing from ConfigMap")
	} else {
		p.file, p.err = config.Parse([]byte(data))
	}
	rt.parsed[k] = p
	return p
}

// sources snapshots the cache into reconciler sources, plus deleted ones.
func (rt *runtime) sources() ([]reconciler.Source, map[string]*corev1.ConfigMap) {
	cms, _ := rt.lister.List(labels.Everything()) // the cache only lists; it cannot fail
	rt.mu.Lock()
	defer rt.mu.Unlock()
	objs := make(map[string]*corev1.ConfigMap, len(cms))
	out := make([]reconciler.Source, 0, len(cms)+len(rt.tombstones))
	for _, cm := range cms {
		k := key(cm)
		objs[k] = cm
		src := reconciler.Source{Namespace: cm.Namespace, Name: cm.Name, Created: cm.CreationTimestamp.Time}
		if rt.optIn.allows(cm.Namespace) {
			p := rt.parse(k, cm)
			src.File, src.Err = p.file, p.err
			delete(rt.ignored, k)
		} else {
			src.Ignored = IgnoredNamespace
			rt.logIgnored(k)
		}
		out = append(out, src)
	}
	for k, f := range rt.tombstones {
		if _, live := objs[k]; live {
			continue
		}
		ns, name := splitKey(k)
		out = append(out, reconciler.Source{Namespace: ns, Name: name, File: f, Deleted: true})
	}
	return out, objs
}

// logIgnored logs a ConfigMap the first time a pass ignores it. The caller
// holds rt.mu.
func (rt *runtime) logIgnored(k string) {
	if rt.ignored[k] {
		return
	}
	rt.ignored[k] = true
	ns, _ := splitKey(k)
	rt.c.log.Warn("ignoring a ThousandEyes ConfigMap: its namespace is not opted in", "configmap", k,
		"reason", IgnoredNamespace, "optIn", NamespaceLabel+"="+NamespaceLabelValue+" on namespace "+ns)
}

func splitKey(k string) (string, string) {
	for i := range len(k) {
		if k[i] == '/' {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}

// forget drops tombstones whose deletes are done (or were never asked for).
func (rt *runtime) forget(res reconciler.Result) {
	if res.ListErr != nil {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for k := range rt.tombstones {
		if src, ok := res.Sources[k]; !ok || src.Err() == nil {
			delete(rt.tombstones, k)
		}
	}
}
