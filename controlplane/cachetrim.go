package controlplane

// The shared informer factory's transform. Every replica caches every Pod,
// Deployment, StatefulSet and DaemonSet of the cluster for the heartbeat API
// (integrations/heartbeat: cache.go, health.go) and the member checks
// (integrations/memberverify: check.go, webhook.OwnerOf), so each cached object
// keeps only what those read. A consumer of cp.factory that reads another field
// adds it here and to the kept paths in cachetrim_test.go, whose tests run the
// heartbeat's judgement and the member checks on full and trimmed objects and
// fail when they differ.

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/controlloop"
)

// trimShared is the shared factory's transform: pods and workloads are cut to
// what the heartbeat and the member checks read; anything else only loses its
// managedFields.
func trimShared(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return trimPod(o), nil
	case *appsv1.Deployment:
		return trimDeployment(o), nil
	case *appsv1.StatefulSet:
		return trimStatefulSet(o), nil
	case *appsv1.DaemonSet:
		return trimDaemonSet(o), nil
	}
	return controlloop.StripManagedFields(obj)
}

// keptMeta is the identity every trimmed object keeps: the cache's key, the
// UID and resourceVersion that tell versions apart, and deletion.
func keptMeta(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		DeletionTimestamp: m.DeletionTimestamp,
	}
}

// trimPod keeps a pod's identity (name, namespace, UID), labels (the member
// label, pod-template-hash) and controller reference (the owner), node and IPs
// (a member's address), phase, condition statuses (Ready), and per container
// its name, restart count and waiting reason (CrashLoopBackOff). The spec's
// containers, env and volumes go.
func trimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{ObjectMeta: keptMeta(&p.ObjectMeta)}
	out.Labels, out.OwnerReferences = p.Labels, p.OwnerReferences
	out.Spec.NodeName = p.Spec.NodeName
	out.Status = corev1.PodStatus{
		Phase: p.Status.Phase, PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs,
		InitContainerStatuses: trimContainerStatuses(p.Status.InitContainerStatuses),
		ContainerStatuses:     trimContainerStatuses(p.Status.ContainerStatuses),
	}
	if p.Status.Conditions != nil {
		out.Status.Conditions = make([]corev1.PodCondition, len(p.Status.Conditions))
		for i, c := range p.Status.Conditions {
			out.Status.Conditions[i] = corev1.PodCondition{Type: c.Type, Status: c.Status}
		}
	}
	return out
}

func trimContainerStatuses(list []corev1.ContainerStatus) []corev1.ContainerStatus {
	if list == nil {
		return nil
	}
	out := make([]corev1.ContainerStatus, len(list))
	for i, cs := range list {
		out[i] = corev1.ContainerStatus{Name: cs.Name, RestartCount: cs.RestartCount}
		if w := cs.State.Waiting; w != nil {
			out[i].State.Waiting = &corev1.ContainerStateWaiting{Reason: w.Reason}
		}
	}
	return out
}

// trimDeployment keeps the desired replicas, the updated, ready and available
// counts and the conditions (the Progressing message is quoted in a verdict).
// The pod template goes.
func trimDeployment(d *appsv1.Deployment) *appsv1.Deployment {
	out := &appsv1.Deployment{ObjectMeta: keptMeta(&d.ObjectMeta)}
	out.Spec.Replicas = d.Spec.Replicas
	out.Status = appsv1.DeploymentStatus{
		UpdatedReplicas: d.Status.UpdatedReplicas, ReadyReplicas: d.Status.ReadyReplicas,
		AvailableReplicas: d.Status.AvailableReplicas,
	}
	if d.Status.Conditions != nil {
		out.Status.Conditions = make([]appsv1.DeploymentCondition, len(d.Status.Conditions))
		for i, c := range d.Status.Conditions {
			out.Status.Conditions[i] = appsv1.DeploymentCondition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message}
		}
	}
	return out
}

// trimStatefulSet keeps the desired replicas and the updated, ready and
// available counts.
func trimStatefulSet(s *appsv1.StatefulSet) *appsv1.StatefulSet {
	out := &appsv1.StatefulSet{ObjectMeta: keptMeta(&s.ObjectMeta)}
	out.Spec.Replicas = s.Spec.Replicas
	out.Status = appsv1.StatefulSetStatus{
		UpdatedReplicas: s.Status.UpdatedReplicas, ReadyReplicas: s.Status.ReadyReplicas,
		AvailableReplicas: s.Status.AvailableReplicas,
	}
	return out
}

// trimDaemonSet keeps the desired, updated, ready and available counts.
func trimDaemonSet(ds *appsv1.DaemonSet) *appsv1.DaemonSet {
	out := &appsv1.DaemonSet{ObjectMeta: keptMeta(&ds.ObjectMeta)}
	out.Status = appsv1.DaemonSetStatus{
		DesiredNumberScheduled: ds.Status.DesiredNumberScheduled, UpdatedNumberScheduled: ds.Status.UpdatedNumberScheduled,
		NumberReady: ds.Status.NumberReady, NumberAvailable: ds.Status.NumberAvailable,
	}
	return out
}

// preferProtobuf makes rc ask for protobuf: every kind the control plane reads
// is built in, and filling the caches from protobuf leaves less garbage than
// from JSON (a lower peak RSS at start-up; BENCHMARKS.md). It returns rc.
func preferProtobuf(rc *rest.Config) *rest.Config {
	rc.ContentType = runtime.ContentTypeProtobuf
	rc.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	return rc
}
