package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
)

// ownerIndex is the name of the pod index by owning workload.
const ownerIndex = "meshprobe.io/heartbeat-owner"

// Cache answers heartbeat lookups from a shared informer factory's caches: a
// lookup never calls the API server. It is safe for concurrent use.
type Cache struct {
	deployments  appslisters.DeploymentLister
	statefulSets appslisters.StatefulSetLister
	daemonSets   appslisters.DaemonSetLister
	pods         cache.Indexer
	synced       []cache.InformerSynced
}

// NewCache registers the informers that heartbeats need with f (Deployments,
// StatefulSets, DaemonSets and Pods in all namespaces) and adds a pod index by
// owning workload. Start f afterwards; the caches are shared with everything
// else that uses f.
func NewCache(f informers.SharedInformerFactory) (*Cache, error) {
	apps := f.Apps().V1()
	pods := f.Core().V1().Pods().Informer()
	if err := pods.AddIndexers(cache.Indexers{ownerIndex: podOwnerKeys}); err != nil {
		return nil, fmt.Errorf("heartbeat: adding the pod owner index: %w", err)
	}
	c := &Cache{
		deployments:  apps.Deployments().Lister(),
		statefulSets: apps.StatefulSets().Lister(),
		daemonSets:   apps.DaemonSets().Lister(),
		pods:         pods.GetIndexer(),
	}
	c.synced = []cache.InformerSynced{
		apps.Deployments().Informer().HasSynced, apps.StatefulSets().Informer().HasSynced,
		apps.DaemonSets().Informer().HasSynced, pods.HasSynced,
	}
	return c, nil
}

// HasSynced reports whether every cache has been filled.
func (c *Cache) HasSynced() bool {
	for _, s := range c.synced {
		if !s() {
			return false
		}
	}
	return true
}

// WaitForSync blocks until every cache has been filled or ctx is done.
func (c *Cache) WaitForSync(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return errors.New("heartbeat: informer caches did not sync before shutdown")
	}
	return nil
}

// Verdict judges the target workload from the caches and, when mesh is not nil,
// from gossip membership.
func (c *Cache) Verdict(t Target, mesh MeshView) Verdict {
	v := Verdict{Namespace: t.Namespace, Kind: t.Kind, Name: t.Name, Reasons: []Reason{}}
	r, reasons, stuck, found := c.judge(t)
	if !found {
		v.Status = StatusUnknown
		v.Reasons = append(v.Reasons, Reason{ReasonNotFound, t.String() + " not found"})
		return v
	}
	pods := c.ownedPods(t)
	podSummary, podReasons := summarizePods(pods)
	meshSummary, meshReasons := summarizeMesh(t, pods, mesh)
	v.Replicas, v.Pods, v.Mesh, v.ProgressDeadlineExceeded = &r, &podSummary, meshSummary, stuck
	v.Reasons = append(append(append(v.Reasons, reasons...), podReasons...), meshReasons...)
	v.Status = StatusHealthy
	if len(v.Reasons) > 0 {
		v.Status = StatusDegraded
	}
	return v
}

// judge looks the workload up and judges its own status. found is false when
// the cache does not hold it.
func (c *Cache) judge(t Target) (r Replicas, reasons []Reason, stuck, found bool) {
	switch t.Kind {
	case KindDeployment:
		if d, err := c.deployments.Deployments(t.Namespace).Get(t.Name); err == nil {
			r, reasons, stuck = judgeDeployment(d)
			return r, reasons, stuck, true
		}
	case KindStatefulSet:
		if s, err := c.statefulSets.StatefulSets(t.Namespace).Get(t.Name); err == nil {
			r, reasons = judgeStatefulSet(s)
			return r, reasons, false, true
		}
	case KindDaemonSet:
		if ds, err := c.daemonSets.DaemonSets(t.Namespace).Get(t.Name); err == nil {
			r, reasons = judgeDaemonSet(ds)
			return r, reasons, false, true
		}
	}
	return Replicas{}, nil, false, false
}

func (c *Cache) ownedPods(t Target) []*corev1.Pod {
	objs, err := c.pods.ByIndex(ownerIndex, ownerKey(t.Namespace, t.Kind, t.Name))
	if err != nil {
		return nil // the index is registered in NewCache; this cannot happen
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			pods = append(pods, p)
		}
	}
	return pods
}

func ownerKey(namespace, kind, name string) string {
	return kind + "/" + namespace + "/" + name
}

// podOwnerKeys indexes a pod by the workload that owns it. A ReplicaSet named
// "<deployment>-<pod-template-hash>" maps to its Deployment, as the Deployment
// controller names them, so no ReplicaSet cache is needed.
func podOwnerKeys(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	for _, ref := range p.OwnerReferences {
		if ref.Controller == nil || !*ref.Controller {
			continue
		}
		switch ref.Kind {
		case "ReplicaSet":
			hash := p.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
			if name, ok := strings.CutSuffix(ref.Name, "-"+hash); ok && hash != "" && name != "" {
				return []string{ownerKey(p.Namespace, KindDeployment, name)}, nil
			}
		case "StatefulSet":
			return []string{ownerKey(p.Namespace, KindStatefulSet, ref.Name)}, nil
		case "DaemonSet":
			return []string{ownerKey(p.Namespace, KindDaemonSet, ref.Name)}, nil
		}
		return nil, nil
	}
	return nil, nil
}
