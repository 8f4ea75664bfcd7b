package kubelet

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// updateStatus writes the pod's status when it differs from what the apiserver has.
func (k *Kubelet) updateStatus(ctx context.Context, ps *podState, pod *corev1.Pod) error {
	st := k.podStatus(ps, pod)
	if equality.Semantic.DeepEqual(st, pod.Status) {
		return nil
	}
	updated := pod.DeepCopy()
	updated.Status = st
	if _, err := k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("updating status of %s: %w", ps.key, err)
	}
	return nil
}

func (k *Kubelet) podStatus(ps *podState, pod *corev1.Pod) corev1.PodStatus {
	st := corev1.PodStatus{
		HostIP: k.NodeIP(), HostIPs: []corev1.HostIP{{IP: k.NodeIP()}},
		PodIP: ps.ip, PodIPs: []corev1.PodIP{{IP: ps.ip}},
		StartTime: &ps.startTime, QOSClass: pod.Status.QOSClass,
		ObservedGeneration: pod.Generation,
	}
	initialized := true
	for _, spec := range pod.Spec.InitContainers {
		cs := k.containerStatus(ps, spec)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		c := ps.containers[spec.Name]
		done := c != nil && (c.succeeded() || (c.sidecar && cs.Started != nil && *cs.Started))
		initialized = initialized && done
	}
	allReady, allStarted, anyRunning, failed, succeeded := true, true, false, false, true
	for _, spec := range pod.Spec.Containers {
		cs := k.containerStatus(ps, spec)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		allReady = allReady && cs.Ready
		switch {
		case cs.State.Running != nil:
			anyRunning, succeeded = true, false
		case cs.State.Terminated != nil:
			failed = failed || cs.State.Terminated.ExitCode != 0
			succeeded = succeeded && cs.State.Terminated.ExitCode == 0
		default:
			succeeded = false
			allStarted = allStarted && cs.LastTerminationState.Terminated != nil
		}
	}
	for _, cs := range st.InitContainerStatuses {
		if cs.State.Running != nil && cs.Started != nil && *cs.Started {
			allReady = allReady && cs.Ready // native sidecars count for readiness
		}
	}
	switch {
	case !initialized || ps.volumeErr != nil:
		st.Phase = corev1.PodPending
	case succeeded && len(pod.Spec.Containers) > 0:
		st.Phase = corev1.PodSucceeded
	case failed && !anyRunning && pod.Spec.RestartPolicy == corev1.RestartPolicyNever:
		st.Phase = corev1.PodFailed
	case anyRunning || allStarted:
		st.Phase = corev1.PodRunning
	default:
		st.Phase = corev1.PodPending
	}
	ready := initialized && allReady && st.Phase == corev1.PodRunning
	st.Conditions = conditions(pod, initialized, ready)
	for i := range st.Conditions {
		if st.Conditions[i].Type != corev1.PodScheduled {
			st.Conditions[i].ObservedGeneration = pod.Generation
		}
	}
	return st
}

func conditions(pod *corev1.Pod, initialized, ready bool) []corev1.PodCondition {
	boolStatus := func(b bool) corev1.ConditionStatus {
		if b {
			return corev1.ConditionTrue
		}
		return corev1.ConditionFalse
	}
	want := []corev1.PodCondition{
		{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue},
		{Type: corev1.PodInitialized, Status: boolStatus(initialized)},
		{Type: corev1.ContainersReady, Status: boolStatus(ready)},
		{Type: corev1.PodReady, Status: boolStatus(ready)},
	}
	old := map[corev1.PodConditionType]corev1.PodCondition{}
	for _, c := range pod.Status.Conditions {
		old[c.Type] = c
	}
	out := make([]corev1.PodCondition, 0, len(want)+1)
	if sched, ok := old[corev1.PodScheduled]; ok {
		out = append(out, sched)
	}
	for _, c := range want {
		if prev, ok := old[c.Type]; ok && prev.Status == c.Status {
			c.LastTransitionTime = prev.LastTransitionTime
		} else {
			c.LastTransitionTime = nowSeconds()
		}
		out = append(out, c)
	}
	return out
}

func (k *Kubelet) containerStatus(ps *podState, spec corev1.Container) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{Name: spec.Name, Image: spec.Image, ImageID: "localprocess://" + spec.Image}
	c := ps.containers[spec.Name]
	if c == nil {
		reason := "PodInitializing"
		if ps.volumeErr != nil {
			reason = "ContainerCreating"
		}
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason}
		cs.Started = new(bool)
		return cs
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.RestartCount = c.restarts
	if c.lastTerm != nil {
		cs.LastTerminationState.Terminated = c.lastTerm.DeepCopy()
	}
	running := c.proc != nil
	if running {
		if exited, _ := c.proc.Exited(); exited {
			running = false
		}
	}
	switch {
	case running:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.startedAt.Truncate(time.Second))}
		cs.ContainerID = c.containerID()
		cs.Ready = c.ready.Load()
	case c.term != nil:
		cs.State.Terminated = c.term.DeepCopy()
		cs.ContainerID = c.term.ContainerID
	default:
		reason := c.waiting
		if reason == "" {
			reason = "ContainerCreating"
		}
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason, Message: c.waitingMsg}
	}
	started := running
	cs.Started = &started
	if c.init && !c.sidecar && !running {
		cs.Ready = c.term != nil && c.term.ExitCode == 0
	}
	return cs
}

// nowSeconds is the current time at the apiserver's precision (seconds), so that
// statuses compare equal after a round trip.
func nowSeconds() metav1.Time { return metav1.NewTime(time.Now().Truncate(time.Second)) }
