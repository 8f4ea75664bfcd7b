package missedinjection

import (
	"context"
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

// workload is a missed pod's owner as the repair sees it.
type workload struct {
	kind, namespace, name string
}

// missedPods are one workload's missed pods: their names, and when the newest
// was created (the loop breaker's evidence that a restart did not help).
type missedPods struct {
	names  []string
	newest time.Time
}

func (m *missedPods) add(p *corev1.Pod) {
	m.names = append(m.names, p.Name)
	if t := p.CreationTimestamp.Time; t.After(m.newest) {
		m.newest = t
	}
}

// pass finds the missed pods, reports the new ones, updates the metric and,
// with repair on, restarts their workloads. It returns when to look again.
func (rt *runtime) pass(ctx context.Context) (time.Duration, error) {
	nss, err := rt.namespaces.List(labels.Everything())
	if err != nil {
		return 0, err
	}
	byName := make(map[string]*corev1.Namespace, len(nss))
	counts := map[string]int{}
	for _, ns := range nss {
		byName[ns.Name] = ns
		if enabled(ns) && !slices.Contains(rt.c.cfg.Webhook.ExcludedNamespaces, ns.Name) {
			counts[ns.Name] = 0
		}
	}
	pods, err := rt.pods.List(labels.Everything())
	if err != nil {
		return 0, err
	}
	missed := map[types.UID]bool{}
	repair := map[workload]*missedPods{}
	for _, p := range pods {
		if !Missed(p, byName[p.Namespace], rt.c.cfg.Webhook) {
			continue
		}
		missed[p.UID] = true
		counts[p.Namespace]++
		w, repairable := repairTarget(p)
		if !rt.reported[p.UID] {
			rt.report(ctx, p, w, repairable)
			rt.reported[p.UID] = true
		}
		if repairable {
			if repair[w] == nil {
				repair[w] = &missedPods{}
			}
			repair[w].add(p)
		}
	}
	for uid := range rt.reported {
		if !missed[uid] {
			delete(rt.reported, uid) // gone or injected: forget it
		}
	}
	rt.c.metrics.Set(counts)
	if rt.c.cfg.Repair != RepairRestart {
		return rt.c.cfg.Resync, nil
	}
	rt.breaker.keep(repair, rt.c.cfg.Clock.Now())
	wait, err := rt.repair(ctx, repair)
	rt.c.suspended.Set(rt.breaker.suspendedByNamespace())
	return wait, err
}

// repairTarget is the workload a restart of which replaces the pod: its
// Deployment or StatefulSet.
func repairTarget(p *corev1.Pod) (workload, bool) {
	o := webhook.OwnerOf(p)
	w := workload{kind: o.Kind, namespace: p.Namespace, name: o.Name}
	return w, o.Kind == contract.OwnerDeployment || o.Kind == contract.OwnerStatefulSet
}

// report records a Warning Event on the pod and on its owner.
func (rt *runtime) report(ctx context.Context, p *corev1.Pod, w workload, repairable bool) {
	hint := "restart its workload (kubectl rollout restart) so that the webhook injects it"
	if repairable && rt.c.cfg.Repair == RepairRestart {
		hint = fmt.Sprintf("meshprobe restarts %s %s (--repair-missed=restart)", w.kind, w.name)
	}
	rt.log.Warn("missedinjection: pod runs without the sidecar although injection selects it", "namespace", p.Namespace, "pod", p.Name)
	rt.recorder.Eventf(p, corev1.EventTypeWarning, ReasonMissed,
		"pod runs without the meshprobe sidecar although injection selects it (created while the webhook was unreachable, or before injection was enabled); %s", hint)
	if owner := rt.ownerRef(ctx, p, w); owner != nil {
		rt.recorder.Eventf(owner, corev1.EventTypeWarning, ReasonMissed,
			"pod %s runs without the meshprobe sidecar although injection selects it; %s", p.Name, hint)
	}
}

// ownerRef refers to the pod's owner: its Deployment (looked up for its UID),
// else its controller. Nil for a bare pod.
func (rt *runtime) ownerRef(ctx context.Context, p *corev1.Pod, w workload) *corev1.ObjectReference {
	if w.kind == contract.OwnerDeployment {
		d, err := rt.c.kube.AppsV1().Deployments(p.Namespace).Get(ctx, w.name, metav1.GetOptions{})
		if err == nil {
			return &corev1.ObjectReference{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "Deployment",
				Namespace: d.Namespace, Name: d.Name, UID: d.UID, ResourceVersion: d.ResourceVersion}
		}
		if !apierrors.IsNotFound(err) {
			rt.log.Debug("missedinjection: looking up the owner failed", "deployment", w.name, "err", err)
		}
	}
	ref := metav1.GetControllerOf(p)
	if ref == nil {
		return nil
	}
	return &corev1.ObjectReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Namespace: p.Namespace, Name: ref.Name, UID: ref.UID}
}
