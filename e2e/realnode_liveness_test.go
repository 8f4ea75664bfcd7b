//go:build e2e

package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// restartSlack is what a restart takes beyond the probe and the grace period: the
// kubelet's pod sync and status report, the new container's creation, and this
// test's 500 ms polling through the apiserver.
const restartSlack = 10 * time.Second

// A sidecar that hangs (SIGSTOP: it keeps its sockets, answers nothing) is
// restarted by the kubelet on its liveness probe, within the time the injected
// probe allows, and the app container of the pod keeps running.
func TestRealNodeLivenessRestartsHungSidecar(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	_, err := suite.client.CoreV1().Pods(ns).Create(ctx, bareAppPod("hung", nil), metav1.CreateOptions{})
	require.NoError(t, err)
	pod := waitReadyPods(t, ns, "app=hung", 1, 2*time.Minute)[0]
	sidecar := containerProc(t, &pod, contract.SidecarContainerName)
	app := containerProc(t, &pod, "app")
	appBefore := *containerStatus(&pod, "app")
	lower, upper := livenessBounds(t, &pod)

	require.NoError(t, sidecar.signal(syscall.SIGSTOP))
	stopped := time.Now()
	t.Cleanup(func() { _ = sidecar.signal(syscall.SIGCONT) })

	var restarted *corev1.Pod
	require.Eventually(t, func() bool {
		p, err := suite.client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err == nil && containerStatus(p, contract.SidecarContainerName).RestartCount > 0 {
			restarted = p
		}
		return restarted != nil
	}, upper+time.Minute, 500*time.Millisecond, "the kubelet restarts the hung sidecar")
	took := time.Since(stopped)
	t.Logf("hung sidecar restarted %s after SIGSTOP (bounds %s to %s)", took.Round(100*time.Millisecond), lower, upper)
	assert.GreaterOrEqual(t, took, lower, "not before failureThreshold probes failed")
	assert.LessOrEqual(t, took, upper, "within failureThreshold probe periods, the probe timeout, the grace period and %s", restartSlack)

	restarted = waitLastStateTerminated(t, restarted)
	sc := containerStatus(restarted, contract.SidecarContainerName)
	assert.Equal(t, int32(128+syscall.SIGKILL), sc.LastTerminationState.Terminated.ExitCode, "a stopped process ignores SIGTERM: killed after the grace period")
	if sc.State.Running != nil {
		t.Logf("old sidecar finished +%s, new one started +%s (1 s resolution)",
			sc.LastTerminationState.Terminated.FinishedAt.Sub(stopped).Round(time.Second), sc.State.Running.StartedAt.Sub(stopped).Round(time.Second))
	}
	assert.False(t, sidecar.alive(), "the hung process is gone")
	assert.True(t, livenessKillEvent(t, ns, pod.Name, stopped), "an event says the sidecar failed its liveness probe and is restarted")

	ac := containerStatus(restarted, "app")
	assert.Zero(t, ac.RestartCount, "the app container is not restarted")
	assert.Equal(t, appBefore.ContainerID, ac.ContainerID, "the app container is the same")
	assert.True(t, app.alive(), "the app's process kept running")
	waitReadyPods(t, ns, "app=hung", 1, time.Minute)
}

// waitLastStateTerminated returns the pod once the kubelet reports the old
// sidecar's exit in lastState. The restart count comes from the new container's
// labels, the last state from the old container's runtime status, and the status
// the kubelet reports first can carry the count before containerd reports the
// old container as exited (CI saw a restart count of 1 with no terminated last
// state). The exit shows within a few pod syncs.
func waitLastStateTerminated(t *testing.T, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	if first := containerStatus(p, contract.SidecarContainerName); first.LastTerminationState.Terminated == nil {
		t.Logf("first status with a restart has no terminated last state yet: %+v", first.LastTerminationState)
	}
	require.Eventually(t, func() bool {
		if containerStatus(p, contract.SidecarContainerName).LastTerminationState.Terminated != nil {
			return true
		}
		if fresh, err := suite.client.CoreV1().Pods(p.Namespace).Get(t.Context(), p.Name, metav1.GetOptions{}); err == nil {
			p = fresh
		}
		return false
	}, 30*time.Second, 500*time.Millisecond, "the kubelet reports the old sidecar's exit as its last state")
	return p
}

// livenessBounds derives, from the sidecar's liveness probe in the pod, when the
// kubelet may restart it after it hung at a random moment. Probes run every
// period; one takes at most timeout to fail. The first failing probe may have
// started just before the hang (it fails at once), so the restart comes no
// sooner than (failureThreshold-1)*period - timeout; the first probe after the
// hang starts within a period, so the last failure is within
// failureThreshold*period + timeout. Then the kubelet stops the container within
// the grace period and starts a new one (restartSlack).
func livenessBounds(t *testing.T, p *corev1.Pod) (lower, upper time.Duration) {
	t.Helper()
	var probe *corev1.Probe
	for _, c := range p.Spec.InitContainers {
		if c.Name == contract.SidecarContainerName {
			probe = c.LivenessProbe
		}
	}
	require.NotNil(t, probe, "the injected sidecar has a liveness probe")
	period := time.Duration(probe.PeriodSeconds) * time.Second
	timeout := time.Duration(probe.TimeoutSeconds) * time.Second
	grace := time.Duration(ptr.Deref(probe.TerminationGracePeriodSeconds, ptr.Deref(p.Spec.TerminationGracePeriodSeconds, 30))) * time.Second
	threshold := time.Duration(probe.FailureThreshold)
	return (threshold-1)*period - timeout, threshold*period + timeout + grace + restartSlack
}

// livenessKillEvent reports whether the kubelet recorded that it kills the
// sidecar for a failed liveness probe, and logs the sidecar's events since the
// hang (the timeline of a restart).
func livenessKillEvent(t *testing.T, ns, pod string, since time.Time) bool {
	t.Helper()
	events, err := suite.client.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + pod})
	require.NoError(t, err)
	found := false
	for _, e := range events.Items {
		if !strings.Contains(e.InvolvedObject.FieldPath, contract.SidecarContainerName) || e.LastTimestamp.Time.Before(since.Truncate(time.Second)) {
			continue
		}
		t.Logf("event %s +%s (x%d, first +%s): %s", e.Reason, e.LastTimestamp.Sub(since).Round(time.Second), e.Count,
			e.FirstTimestamp.Sub(since).Round(time.Second), e.Message)
		found = found || (e.Reason == "Killing" && strings.Contains(e.Message, "failed liveness probe"))
	}
	return found
}
