//go:build e2e

package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// appPreStop is how long the app of the ordering test holds its termination (a
// preStop sleep): the sidecar must outlive it.
const appPreStop = 2

// sidecarServingLog is in the sidecar's log line once its HTTP server (and so
// the /healthz of its probes) listens (sidecar.Agent.Run).
const sidecarServingLog = "sidecar: serving"

// The injected sidecar is a native sidecar on the real kubelet: it starts before
// the app, the app starts only once the sidecar serves and its startup probe
// passed, and on deletion it stops after the app.
func TestRealNodeSidecarOrdering(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	seen := watchPod(t, ns, "ordered")
	pod := bareAppPod("ordered", nil)
	pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](30)
	pod.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
		Sleep: &corev1.SleepAction{Seconds: appPreStop},
	}}
	_, err := suite.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	running := waitReadyPods(t, ns, "app=ordered", 1, 2*time.Minute)[0]
	sidecar := containerProc(t, &running, contract.SidecarContainerName)
	app := containerProc(t, &running, "app")

	t.Run("the sidecar starts first and serves before the app starts", func(t *testing.T) {
		assert.Less(t, sidecar.start, app.start, "the sidecar's process started before the app's (/proc/<pid>/stat, 10 ms ticks)")
		sc, ac := containerStatus(&running, contract.SidecarContainerName), containerStatus(&running, "app")
		require.NotNil(t, sc.State.Running)
		require.NotNil(t, ac.State.Running)
		assert.False(t, ac.State.Running.StartedAt.Before(&sc.State.Running.StartedAt), "startedAt of the app is not before the sidecar's")

		serving := firstLogLine(t, ns, running.Name, contract.SidecarContainerName, sidecarServingLog)
		appFirst := firstLogLine(t, ns, running.Name, "app", "")
		assert.True(t, serving.Before(appFirst), "the sidecar served (%s) before the app logged its first line (%s)",
			serving.Format(time.RFC3339Nano), appFirst.Format(time.RFC3339Nano))
		t.Logf("sidecar serving %s before the app's first log line", appFirst.Sub(serving))

		require.Eventually(t, func() bool { return len(appStarted(seen.pods())) > 0 }, 30*time.Second, 100*time.Millisecond,
			"the watch delivers the pod with its app started")
		for _, p := range appStarted(seen.pods()) {
			sc := containerStatus(&p, contract.SidecarContainerName)
			require.NotNil(t, sc, "a status with the app started has the sidecar's")
			assert.True(t, ptr.Deref(sc.Started, false), "whenever the app has started, the sidecar's startup probe has passed (resourceVersion %s)", p.ResourceVersion)
		}
	})

	t.Run("the sidecar stops after the app", func(t *testing.T) {
		exits := make(chan []time.Time, 1)
		go func() { exits <- waitExits(ctx, time.Minute, app, sidecar) }()
		deleted := time.Now()
		require.NoError(t, suite.client.CoreV1().Pods(ns).Delete(ctx, running.Name, metav1.DeleteOptions{}))
		at := <-exits
		require.False(t, at[0].IsZero(), "the app exited within a minute")
		require.False(t, at[1].IsZero(), "the sidecar exited within a minute")
		assert.GreaterOrEqual(t, at[0].Sub(deleted), appPreStop*time.Second, "the app ran its preStop sleep before it stopped")
		assert.True(t, at[0].Before(at[1]), "the app exited (%s after the delete) before the sidecar (%s)", at[0].Sub(deleted), at[1].Sub(deleted))
		t.Logf("after the delete: app exited in %s, sidecar %s later", at[0].Sub(deleted), at[1].Sub(at[0]))

		require.Eventually(t, func() bool { return seen.deleted() }, time.Minute, 100*time.Millisecond, "the pod is gone")
		var final *corev1.Pod
		for _, p := range seen.pods() {
			sc, ac := containerStatus(&p, contract.SidecarContainerName), containerStatus(&p, "app")
			if sc == nil || ac == nil || sc.State.Terminated == nil {
				continue
			}
			assert.NotNil(t, ac.State.Terminated, "no status has the sidecar terminated while the app is not (resourceVersion %s)", p.ResourceVersion)
			final = &p
		}
		require.NotNil(t, final, "the kubelet reported the sidecar terminated")
		sf, af := containerStatus(final, contract.SidecarContainerName).State.Terminated, containerStatus(final, "app").State.Terminated
		require.NotNil(t, af)
		assert.False(t, sf.FinishedAt.Before(&af.FinishedAt), "finishedAt of the sidecar is not before the app's")
	})
}

// appStarted keeps the versions of the pod, before its deletion, in which its
// app container has started.
func appStarted(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if ac := containerStatus(&p, "app"); p.DeletionTimestamp == nil && ac != nil && ac.State.Waiting == nil {
			out = append(out, p)
		}
	}
	return out
}

// podRecorder keeps every version of one pod that a watch delivered.
type podRecorder struct {
	mu   sync.Mutex
	seen []corev1.Pod
	gone bool
}

// watchPod records the pod named name from before it exists until the test ends.
func watchPod(t *testing.T, ns, name string) *podRecorder {
	t.Helper()
	w, err := suite.client.CoreV1().Pods(ns).Watch(t.Context(), metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	require.NoError(t, err)
	t.Cleanup(w.Stop)
	r := &podRecorder{}
	go func() {
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			r.mu.Lock()
			r.seen = append(r.seen, *p)
			r.gone = r.gone || ev.Type == "DELETED"
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *podRecorder) pods() []corev1.Pod {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]corev1.Pod(nil), r.seen...)
}

func (r *podRecorder) deleted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gone
}

// waitExits polls the processes every 10 ms and returns when each was first seen
// gone (zero for one still running after timeout).
func waitExits(ctx context.Context, timeout time.Duration, procs ...nodeProc) []time.Time {
	at := make([]time.Time, len(procs))
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for left := len(procs); left > 0; {
		select {
		case <-ctx.Done():
			return at
		case now := <-tick.C:
			for i, p := range procs {
				if at[i].IsZero() && !p.alive() {
					at[i], left = now, left-1
				}
			}
		}
	}
	return at
}

// firstLogLine returns the runtime's timestamp of the container's first log line
// that contains substr.
func firstLogLine(t *testing.T, ns, pod, container, substr string) time.Time {
	t.Helper()
	raw, err := suite.client.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Timestamps: true}).DoRaw(t.Context())
	require.NoError(t, err)
	for _, l := range splitLines(string(raw)) {
		ts, msg, _ := strings.Cut(l, " ")
		if strings.Contains(msg, substr) {
			at, err := time.Parse(time.RFC3339Nano, ts)
			require.NoError(t, err, "log line %q", l)
			return at
		}
	}
	require.Failf(t, "no log line", "%s of %s/%s has no log line with %q:\n%s", container, ns, pod, substr, raw)
	return time.Time{}
}
