package thousandeyes

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshprobe/meshprobe/internal/controlloop"
)

// A namespace admin cannot opt a namespace in: only whoever may label
// namespaces (a cluster admin) or set the control plane's flags can.
const (
	// NamespaceLabel on a namespace, with NamespaceLabelValue, opts it in.
	NamespaceLabel = "meshprobe.io/thousandeyes"
	// NamespaceLabelValue is the value of NamespaceLabel that opts in.
	NamespaceLabelValue = "enabled"
)

// Reasons a ConfigMap is ignored (the label of meshprobe_thousandeyes_ignored_configmaps).
const (
	// IgnoredNamespace: the ConfigMap's namespace is not opted in.
	IgnoredNamespace = "namespace_not_enabled"
)

// ignoredReasons lists every reason, for the metric's pre-initialised labels.
var ignoredReasons = []string{IgnoredNamespace}

// optIn says which namespaces' ConfigMaps the sync honours: the home
// namespace, the watched one, those listed, and (watching all namespaces) those
// labelled NamespaceLabel=NamespaceLabelValue, through an informer that caches
// only the labelled ones.
type optIn struct {
	fixed   []string
	labeled listerv1.NamespaceLister // nil when one namespace is watched
}

// newOptIn builds the opt-in check; when all namespaces are watched it adds a
// namespace informer to a factory of its own and returns it.
func (c *Controller) newOptIn() (*optIn, informers.SharedInformerFactory) {
	fixed := append([]string{c.cfg.HomeNamespace, c.cfg.Namespace}, c.cfg.Namespaces...)
	o := &optIn{fixed: slices.DeleteFunc(fixed, func(ns string) bool { return ns == "" })}
	if c.cfg.Namespace != "" {
		return o, nil
	}
	factory := informers.NewSharedInformerFactoryWithOptions(c.kube, 0, informers.WithTransform(controlloop.StripManagedFields),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
			lo.LabelSelector = NamespaceLabel + "=" + NamespaceLabelValue
		}))
	o.labeled = factory.Core().V1().Namespaces().Lister()
	return o, factory
}

// watch kicks a pass whenever a namespace is opted in or out by its label.
func (o *optIn) watch(factory informers.SharedInformerFactory, kick func()) (cache.InformerSynced, error) {
	inf := factory.Core().V1().Namespaces().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { kick() },
		UpdateFunc: func(any, any) {},
		DeleteFunc: func(any) { kick() },
	}); err != nil {
		return nil, fmt.Errorf("thousandeyes: watching namespaces: %w", err)
	}
	return inf.HasSynced, nil
}

// allows reports whether ConfigMaps in ns are honoured.
func (o *optIn) allows(ns string) bool {
	if slices.Contains(o.fixed, ns) {
		return true
	}
	if o.labeled == nil {
		return false
	}
	_, err := o.labeled.Get(ns)
	return err == nil
}

// ignoredMessage is the status annotation's message for an ignored ConfigMap.
func ignoredMessage(ns string) string {
	return fmt.Sprintf("namespace %s is not enabled for the ThousandEyes sync: a cluster admin labels it %s=%s (or lists it in --thousandeyes-namespaces)",
		ns, NamespaceLabel, NamespaceLabelValue)
}
