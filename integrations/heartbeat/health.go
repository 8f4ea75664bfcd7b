package heartbeat

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// maxNamedPods bounds how many crash-looping pods a verdict names.
const maxNamedPods = 5

// judgeDeployment reads a Deployment's replica counts and conditions. It trusts the
// Available condition, which honours the rollout's maxUnavailable budget, and falls
// back to the counts when the controller has not set that condition.
func judgeDeployment(d *appsv1.Deployment) (Replicas, []Reason, bool) {
	r := Replicas{
		Desired: desiredReplicas(d.Spec.Replicas), Updated: d.Status.UpdatedReplicas,
		Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas,
	}
	var reasons []Reason
	stuck := false
	available := deploymentCondition(d, appsv1.DeploymentAvailable)
	progressing := deploymentCondition(d, appsv1.DeploymentProgressing)
	if progressing != nil && progressing.Status == corev1.ConditionFalse && progressing.Reason == "ProgressDeadlineExceeded" {
		stuck = true
		reasons = append(reasons, Reason{ReasonProgressDeadlineExceeded, "rollout is stuck: " + progressing.Message})
	}
	switch {
	case available != nil && available.Status == corev1.ConditionFalse:
		reasons = append(reasons, Reason{ReasonUnavailable, fmt.Sprintf(
			"Available condition is False (%s): %d of %d replicas available", available.Reason, r.Available, r.Desired)})
	case r.Available < r.Desired && (available == nil || r.Available == 0):
		reasons = append(reasons, replicasUnavailable(r))
	}
	return r, reasons, stuck
}

// judgeStatefulSet reads a StatefulSet's counts: degraded when fewer replicas are
// available than desired.
func judgeStatefulSet(s *appsv1.StatefulSet) (Replicas, []Reason) {
	r := Replicas{
		Desired: desiredReplicas(s.Spec.Replicas), Updated: s.Status.UpdatedReplicas,
		Ready: s.Status.ReadyReplicas, Available: s.Status.AvailableReplicas,
	}
	return r, countReasons(r)
}

// judgeDaemonSet reads a DaemonSet's counts: degraded when fewer pods are
// available than nodes should run one.
func judgeDaemonSet(ds *appsv1.DaemonSet) (Replicas, []Reason) {
	r := Replicas{
		Desired: ds.Status.DesiredNumberScheduled, Updated: ds.Status.UpdatedNumberScheduled,
		Ready: ds.Status.NumberReady, Available: ds.Status.NumberAvailable,
	}
	return r, countReasons(r)
}

func countReasons(r Replicas) []Reason {
	if r.Available < r.Desired {
		return []Reason{replicasUnavailable(r)}
	}
	return nil
}

func replicasUnavailable(r Replicas) Reason {
	return Reason{ReasonReplicasUnavailable, fmt.Sprintf("%d of %d replicas available", r.Available, r.Desired)}
}

func desiredReplicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// activePod reports whether a pod counts: not terminating and not finished.
func activePod(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

// summarizePods counts readiness, restarts and crash loops over all active pods.
func summarizePods(pods []*corev1.Pod) (PodSummary, []Reason) {
	var s PodSummary
	var looping []string
	for _, p := range pods {
		if !activePod(p) {
			continue
		}
		s.Total++
		if podReady(p) {
			s.Ready++
		}
		restarts, crashing := containerHealth(p)
		s.Restarts += restarts
		if crashing {
			looping = append(looping, p.Name)
		}
	}
	s.CrashLooping = len(looping)
	if len(looping) == 0 {
		return s, nil
	}
	slices.Sort(looping)
	s.CrashLoopingPods = looping[:min(len(looping), maxNamedPods)]
	msg := fmt.Sprintf("%d of %d pods crash-looping: %s", len(looping), s.Total, strings.Join(s.CrashLoopingPods, ", "))
	if len(looping) > maxNamedPods {
		msg += ", ..."
	}
	return s, []Reason{{ReasonCrashLooping, msg}}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// containerHealth sums restart counts over init and app containers and reports
// whether any of them is waiting in CrashLoopBackOff.
func containerHealth(p *corev1.Pod) (int32, bool) {
	var restarts int32
	crashing := false
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range list {
			restarts += cs.RestartCount
			if cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" {
				crashing = true
			}
		}
	}
	return restarts, crashing
}

// summarizeMesh asks the mesh how many of the workload's members are alive. The
// workload is degraded only when it has ready injected pods and none is alive.
func summarizeMesh(t Target, pods []*corev1.Pod, mesh MeshView) (*MeshSummary, []Reason) {
	if mesh == nil {
		return nil, nil
	}
	s := &MeshSummary{Alive: mesh.AliveMembers(t.Namespace, ownerKind(t.Kind), t.Name)}
	readyInjected := 0
	for _, p := range pods {
		if activePod(p) && p.Labels[contract.LabelMember] == "true" {
			s.Injected++
			if podReady(p) {
				readyInjected++
			}
		}
	}
	if readyInjected > 0 && s.Alive == 0 {
		return s, []Reason{{ReasonMeshUnreachable, fmt.Sprintf(
			"none of %d ready injected pods is alive in the gossip mesh", readyInjected)}}
	}
	return s, nil
}

// ownerKind maps a path kind to the owner kind that gossip metadata carries.
func ownerKind(kind string) string {
	switch kind {
	case KindDeployment:
		return contract.OwnerDeployment
	case KindStatefulSet:
		return contract.OwnerStatefulSet
	case KindDaemonSet:
		return contract.OwnerDaemonSet
	}
	return contract.OwnerNone
}
