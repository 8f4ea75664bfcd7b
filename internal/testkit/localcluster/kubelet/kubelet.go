package kubelet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podnet"
)

// Config is one node agent's configuration.
type Config struct {
	// NodeName is the Node this agent registers and runs pods for.
	NodeName string
	// Client is an admin client.
	Client kubernetes.Interface
	// Network gives pods their addresses.
	Network podnet.Network
	// Images maps container images to local binaries.
	Images Images
	// Dir holds the node's pod directories and logs.
	Dir string
	// Nameserver is the cluster DNS address written to each pod's resolv.conf.
	Nameserver string
	// ClusterDomain is the DNS suffix (default cluster.local).
	ClusterDomain string
	// APIServerHost and APIServerPort are what KUBERNETES_SERVICE_HOST/PORT say.
	APIServerHost, APIServerPort string
	// CA issues the node's serving certificate and verifies the apiserver's client
	// certificate on the log endpoint.
	CA *controlplane.CA
	// Resolve answers cluster DNS names (<svc>.<ns>.svc) with endpoint addresses; used
	// only in loopback mode, where processes cannot use the cluster DNS server.
	Resolve func(name string) []string
	// IgnoreRunAsUser runs containers as the agent's own user (rootless mode, where
	// other uids are not mapped).
	IgnoreRunAsUser bool
	// Resync is how often every pod is synced again (volumes refreshed). Default 2s.
	Resync time.Duration
	// Logger receives the agent's logs.
	Logger *slog.Logger
}

// Kubelet is a running node agent.
type Kubelet struct {
	cfg        Config
	client     kubernetes.Interface
	log        *slog.Logger
	pods       corelisters.PodLister
	secrets    corelisters.SecretLister
	configMaps corelisters.ConfigMapLister
	queue      workqueue.TypedRateLimitingInterface[string]
	tokens     *tokenCache
	ips        *ipAllocator
	logServer  *logServer

	mu    sync.Mutex
	state map[string]*podState // by namespace/name

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start registers the Node, starts the informers and workers and returns once the
// caches have synced. Stop it with Close.
func Start(ctx context.Context, cfg Config) (*Kubelet, error) {
	if cfg.ClusterDomain == "" {
		cfg.ClusterDomain = "cluster.local"
	}
	if cfg.Resync == 0 {
		cfg.Resync = 2 * time.Second
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "pods"), 0o755); err != nil {
		return nil, fmt.Errorf("kubelet %s: %w", cfg.NodeName, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	k := &Kubelet{
		cfg: cfg, client: cfg.Client, log: cfg.Logger.With("node", cfg.NodeName),
		queue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		tokens: newTokenCache(), state: map[string]*podState{}, cancel: cancel,
	}
	if err := k.start(ctx); err != nil {
		k.Close()
		return nil, fmt.Errorf("kubelet %s: %w", cfg.NodeName, err)
	}
	return k, nil
}

func (k *Kubelet) start(ctx context.Context) error {
	ls, err := startLogServer(k)
	if err != nil {
		return err
	}
	k.logServer = ls
	node, err := k.register(ctx)
	if err != nil {
		return err
	}
	k.ips, err = newIPAllocator(node.Spec.PodCIDR)
	if err != nil {
		return err
	}
	if err := k.startInformers(ctx); err != nil {
		return err
	}
	k.wg.Add(1)
	go func() { defer k.wg.Done(); k.heartbeat(ctx) }()
	for range 4 {
		k.wg.Add(1)
		go func() { defer k.wg.Done(); k.worker(ctx) }()
	}
	k.wg.Add(1)
	go func() { defer k.wg.Done(); k.resync(ctx) }()
	return nil
}

func (k *Kubelet) startInformers(ctx context.Context) error {
	podInf := informers.NewSharedInformerFactoryWithOptions(k.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", k.cfg.NodeName).String()
		}))
	all := informers.NewSharedInformerFactory(k.client, 0)
	pi := podInf.Core().V1().Pods()
	k.pods = pi.Lister()
	k.secrets = all.Core().V1().Secrets().Lister()
	k.configMaps = all.Core().V1().ConfigMaps().Lister()
	_, err := pi.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    k.enqueue,
		UpdateFunc: func(_, obj any) { k.enqueue(obj) },
		DeleteFunc: k.enqueue,
	})
	if err != nil {
		return err
	}
	podInf.Start(ctx.Done())
	all.Start(ctx.Done())
	for _, synced := range []cache.InformerSynced{pi.Informer().HasSynced, all.Core().V1().Secrets().Informer().HasSynced, all.Core().V1().ConfigMaps().Informer().HasSynced} {
		if !cache.WaitForCacheSync(ctx.Done(), synced) {
			return errors.New("informer caches did not sync")
		}
	}
	return nil
}

func (k *Kubelet) enqueue(obj any) {
	if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
		k.queue.Add(key)
	}
}

// resync enqueues every known pod periodically so volumes and probes stay current.
func (k *Kubelet) resync(ctx context.Context) {
	t := time.NewTicker(k.cfg.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pods, _ := k.pods.List(labels.Everything())
		for _, p := range pods {
			k.enqueue(p)
		}
	}
}

func (k *Kubelet) worker(ctx context.Context) {
	for {
		key, quit := k.queue.Get()
		if quit {
			return
		}
		if err := k.sync(ctx, key); err != nil {
			if ctx.Err() == nil {
				k.log.Warn("pod sync failed; retrying", "pod", key, "err", err)
			}
			k.queue.AddRateLimited(key)
		} else {
			k.queue.Forget(key)
		}
		k.queue.Done(key)
	}
}

// Close stops every pod's processes, removes their sandboxes and stops the agent.
// The Node object is left in place (a crashed kubelet's Node goes NotReady too).
func (k *Kubelet) Close() {
	k.cancel()
	k.queue.ShutDown()
	k.wg.Wait()
	k.mu.Lock()
	states := make([]*podState, 0, len(k.state))
	for _, ps := range k.state {
		states = append(states, ps)
	}
	k.state = map[string]*podState{}
	k.mu.Unlock()
	var wg sync.WaitGroup
	for _, ps := range states {
		wg.Add(1)
		go func() { defer wg.Done(); k.teardown(ps, 5*time.Second) }()
	}
	wg.Wait()
	if k.logServer != nil {
		k.logServer.close()
	}
}

// NodeIP is the address the node's endpoints (logs) listen on.
func (k *Kubelet) NodeIP() string { return k.cfg.Network.Gateway() }

func hostPortString(host string, port int) string { return net.JoinHostPort(host, fmt.Sprint(port)) }
