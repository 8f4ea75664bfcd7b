package missedinjection

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// repair restarts the workloads of missed pods: at most one per RepairInterval
// cluster-wide, a workload not again within RepairCooldown of its last restart
// (by meshprobe or kubectl), and not at all once the loop breaker suspended
// it. It returns when to look again.
func (rt *runtime) repair(ctx context.Context, targets map[workload]*missedPods) (time.Duration, error) {
	cfg := &rt.c.cfg
	wait := cfg.Resync
	keys := slices.SortedFunc(maps.Keys(targets), func(a, b workload) int {
		return strings.Compare(a.namespace+"/"+a.kind+"/"+a.name, b.namespace+"/"+b.kind+"/"+b.name)
	})
	for _, w := range keys {
		if rt.breaker.suspended[w] {
			continue
		}
		obj, template, err := rt.getWorkload(ctx, w)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		now := cfg.Clock.Now()
		if last, err := time.Parse(time.RFC3339, template.Annotations[contract.AnnotationRestartedAt]); err == nil && now.Sub(last) < cfg.RepairCooldown {
			wait = min(wait, last.Add(cfg.RepairCooldown).Sub(now)+time.Second)
			continue
		}
		if rt.breaker.trips(w, now, targets[w].newest) {
			rt.suspend(obj, w)
			continue
		}
		if since := now.Sub(rt.lastRestart); since < cfg.RepairInterval {
			return min(wait, cfg.RepairInterval-since), nil
		}
		if err := rt.restart(ctx, w, now); err != nil {
			return 0, err
		}
		rt.lastRestart = now
		rt.breaker.record(w, now)
		msg := fmt.Sprintf("restarted to inject the meshprobe sidecar into %d pod(s) that run without it: %s",
			len(targets[w].names), strings.Join(targets[w].names, ", "))
		rt.log.Info("missedinjection: "+msg, "kind", w.kind, "namespace", w.namespace, "name", w.name)
		rt.recorder.Event(obj, corev1.EventTypeNormal, ReasonRestarted, msg)
	}
	return wait, nil
}

// suspend stops restarting w, with a Warning Event on it and a log line.
func (rt *runtime) suspend(obj k8sruntime.Object, w workload) {
	if !rt.breaker.suspend(w) {
		return
	}
	cfg := &rt.c.cfg
	msg := fmt.Sprintf("restarted %d times within %s and its new pods still run without the meshprobe sidecar (can the API server reach the webhook?); "+
		"meshprobe does not restart it again until none of its pods runs without the sidecar: once the webhook is reachable, restart it (kubectl rollout restart)",
		cfg.RepairMaxRestarts, cfg.RepairWindow)
	rt.log.Warn("missedinjection: repair suspended: "+msg, "kind", w.kind, "namespace", w.namespace, "name", w.name)
	rt.recorder.Event(obj, corev1.EventTypeWarning, ReasonRepairSuspended, msg)
}

// getWorkload returns the Deployment or StatefulSet and its pod template's metadata.
func (rt *runtime) getWorkload(ctx context.Context, w workload) (k8sruntime.Object, metav1.ObjectMeta, error) {
	apps := rt.c.kube.AppsV1()
	if w.kind == contract.OwnerDeployment {
		d, err := apps.Deployments(w.namespace).Get(ctx, w.name, metav1.GetOptions{})
		if err != nil {
			return nil, metav1.ObjectMeta{}, fmt.Errorf("missedinjection: reading Deployment %s/%s: %w", w.namespace, w.name, err)
		}
		return d, d.Spec.Template.ObjectMeta, nil
	}
	s, err := apps.StatefulSets(w.namespace).Get(ctx, w.name, metav1.GetOptions{})
	if err != nil {
		return nil, metav1.ObjectMeta{}, fmt.Errorf("missedinjection: reading StatefulSet %s/%s: %w", w.namespace, w.name, err)
	}
	return s, s.Spec.Template.ObjectMeta, nil
}

// restart sets the pod template's restartedAt annotation, as `kubectl rollout
// restart` does: the controller rolls the pods, and the webhook injects the new ones.
func (rt *runtime) restart(ctx context.Context, w workload, now time.Time) error {
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`,
		contract.AnnotationRestartedAt, now.UTC().Format(time.RFC3339))
	apps := rt.c.kube.AppsV1()
	var err error
	if w.kind == contract.OwnerDeployment {
		_, err = apps.Deployments(w.namespace).Patch(ctx, w.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	} else {
		_, err = apps.StatefulSets(w.namespace).Patch(ctx, w.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("missedinjection: restarting %s %s/%s: %w", w.kind, w.namespace, w.name, err)
	}
	return nil
}
