package gossipkeys

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// distribute makes every opted-in namespace have an up-to-date copy and deletes
// the copies in the other namespaces. It returns the opted-in namespaces and
// whether every copy was already up to date (nothing had to be written).
func (rt *runtime) distribute(ctx context.Context, src *corev1.Secret, keys gossip.Keys) (map[string]bool, bool, error) {
	nss, err := rt.namespaces.List(labels.Everything())
	if err != nil {
		return nil, false, err
	}
	want := rt.c.cfg.wantCopies(nss)
	have := map[string]*corev1.Secret{}
	all, err := rt.secrets.List(labels.Everything())
	if err != nil {
		return nil, false, err
	}
	for _, s := range all {
		if s.Namespace != rt.c.cfg.Namespace {
			have[s.Namespace] = s
		}
	}
	owner := rt.owner()
	inSync, errs := true, []error{}
	for _, ns := range slices.Sorted(maps.Keys(want)) {
		wrote, err := rt.ensureCopy(ctx, have[ns], copyFor(src, keys, ns, owner))
		inSync = inSync && !wrote && err == nil
		errs = append(errs, err)
	}
	terminating := map[string]bool{}
	for _, ns := range nss {
		terminating[ns.Name] = ns.DeletionTimestamp != nil
	}
	for ns, s := range have {
		if !want[ns] && isCopy(s) && !terminating[ns] {
			errs = append(errs, rt.deleteCopy(ctx, s))
		}
	}
	return want, inSync, errors.Join(errs...)
}

// ensureCopy creates or updates one copy. It reports whether it wrote.
func (rt *runtime) ensureCopy(ctx context.Context, cur, want *corev1.Secret) (bool, error) {
	api := rt.c.kube.CoreV1().Secrets(want.Namespace)
	switch {
	case cur == nil:
		_, err := api.Create(ctx, want, metav1.CreateOptions{})
		if err == nil {
			rt.log.Info("gossipkeys: copied the gossip key", "namespace", want.Namespace, "primaryKey", want.Annotations[AnnotationPrimary])
		}
		return true, ignoreRace(err, "creating the copy in "+want.Namespace)
	case !isCopy(cur):
		rt.reportConflict(want.Namespace)
		return false, nil
	}
	next := updated(cur, want)
	if next == nil {
		return false, nil
	}
	_, err := api.Update(ctx, next, metav1.UpdateOptions{})
	if err == nil {
		rt.log.Info("gossipkeys: updated the copy", "namespace", want.Namespace, "primaryKey", want.Annotations[AnnotationPrimary])
	}
	return true, ignoreRace(err, "updating the copy in "+want.Namespace)
}

func (rt *runtime) deleteCopy(ctx context.Context, s *corev1.Secret) error {
	err := rt.c.kube.CoreV1().Secrets(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &s.UID, ResourceVersion: &s.ResourceVersion},
	})
	if err == nil {
		rt.log.Info("gossipkeys: removed the copy no longer needed", "namespace", s.Namespace)
	}
	return ignoreRace(err, "deleting the copy in "+s.Namespace)
}

// ignoreRace drops the errors a lagging cache causes (the informer brings the
// truth and kicks another pass) and wraps the rest.
func ignoreRace(err error, what string) error {
	if err == nil || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return fmt.Errorf("gossipkeys: %s: %w", what, err)
}

// owner is the control plane's Namespace as the copies' owner, nil when unknown.
func (rt *runtime) owner() *metav1.OwnerReference {
	ns, err := rt.namespaces.Get(rt.c.cfg.Namespace)
	if err != nil {
		return nil
	}
	return &metav1.OwnerReference{APIVersion: "v1", Kind: "Namespace", Name: ns.Name, UID: ns.UID}
}

// reportConflict says once per term that a namespace holds a Secret of that
// name that meshprobe did not make.
func (rt *runtime) reportConflict(ns string) {
	if rt.conflicts[ns] {
		return
	}
	rt.conflicts[ns] = true
	rt.log.Warn("gossipkeys: a Secret meshprobe did not make is in the way; left alone", "namespace", ns, "secret", contract.GossipKeySecretName)
	obj, err := rt.namespaces.Get(ns)
	if err != nil {
		return
	}
	rt.recorder.Eventf(obj, corev1.EventTypeWarning, ReasonCopyConflict,
		"Secret %s exists here without label %s=true, so meshprobe leaves it alone; injected pods in this namespace join the mesh only if it holds the mesh key",
		contract.GossipKeySecretName, contract.LabelGossipKeyCopy)
}
