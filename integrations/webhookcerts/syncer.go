package webhookcerts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// syncedKeys are the Secret's keys a replica needs; the CA key stays in the Secret.
var syncedKeys = []string{KeyTLSCert, KeyTLSKey, KeyCABundle}

// Syncer runs on every replica where no kubelet keeps the mounted Secret
// current (tests, local runs, or an emptyDir certificate directory): it watches
// the Secret and writes tls.crt, tls.key and ca.crt into a directory, all three
// at once (see WriteFiles), whenever they change. The webhook server's
// certwatcher then reloads them.
type Syncer struct {
	kube      kubernetes.Interface
	namespace string
	name      string
	dir       string
	log       *slog.Logger

	mu      sync.Mutex
	last    map[string][]byte
	written chan struct{} // closed after the first write
	once    sync.Once
}

// NewSyncer returns a Syncer of the Secret namespace/name into dir.
func NewSyncer(kube kubernetes.Interface, namespace, name, dir string, log *slog.Logger) *Syncer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{kube: kube, namespace: namespace, name: name, dir: dir, log: log.With("component", "webhook-cert-sync"),
		written: make(chan struct{})}
}

// Written is closed once the files have been written the first time.
func (s *Syncer) Written() <-chan struct{} { return s.written }

// Run watches the Secret until ctx ends.
func (s *Syncer) Run(ctx context.Context) error {
	f := informers.NewSharedInformerFactoryWithOptions(s.kube, 0, informers.WithNamespace(s.namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", s.name).String()
		}))
	inf := f.Core().V1().Secrets().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.changed,
		UpdateFunc: func(_, obj any) { s.changed(obj) },
	}); err != nil {
		return fmt.Errorf("webhookcerts: watching the Secret: %w", err)
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		if ctx.Err() != nil {
			return nil
		}
		return errors.New("webhookcerts: Secret cache did not sync")
	}
	<-ctx.Done()
	return nil
}

// changed writes the files when the Secret holds a complete, new version.
func (s *Syncer) changed(obj any) {
	sec, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	files := map[string][]byte{}
	for _, k := range syncedKeys {
		if len(sec.Data[k]) == 0 {
			return // not complete yet
		}
		files[k] = sec.Data[k]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sameFiles(s.last, files) {
		return
	}
	if err := WriteFiles(s.dir, files, 0o600); err != nil {
		s.log.Error("webhookcerts: writing the certificate files failed", "dir", s.dir, "err", err)
		return
	}
	s.last = files
	s.log.Info("webhookcerts: wrote the serving certificate", "dir", s.dir, "secret", s.namespace+"/"+s.name)
	s.once.Do(func() { close(s.written) })
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
