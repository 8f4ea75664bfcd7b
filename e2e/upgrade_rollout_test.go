//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/leaderelection"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// controlPlaneDeployment is the control plane's Deployment in manifests/base.
const controlPlaneDeployment = "meshprobe-webhook"

// apiSlack is what the API server adds to a leader-election step on this loaded
// 2-core machine: an acquisition is a Get and an Update of the Lease, and the
// kubelet sees a pod's deletion (and signals it) a watch event later.
const apiSlack = 2 * time.Second

// The control plane is upgraded by a rolling update of its Deployment while the
// mesh runs and pods are being created: no pod creation fails or is let through
// uninjected, no gossip member is marked dead (the old replicas leave), and the
// Lease passes to another replica within the failover bound.
//
// The rollout is `kubectl rollout restart`'s (a new pod-template annotation):
// the Deployment controller replaces the replicas exactly as for a new image tag
// (maxSurge 1, maxUnavailable 0, readiness-gated, SIGTERM to the old ones). The
// binary stays the same; what a new version changes on the wire is the
// mixed-version test's part (gossip's TestMixedVersionMesh).
func TestUpgradeRollingControlPlane(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	for _, name := range []string{"mesh-a", "mesh-b"} {
		deployApp(t, ns, appSpec{name: name, replicas: 2, spread: true, labels: map[string]string{"group": "upgrade"}})
	}
	pods := waitReadyPods(t, ns, "group=upgrade", 4, 2*time.Minute)
	for _, p := range pods {
		require.True(t, hasSidecar(&p), "%s is injected", p.Name)
	}
	waitMesh(t, ns, pods)
	waitNoneDead(t, ns, pods)
	hbPath := fmt.Sprintf("/api/healthz/%s/deployment/mesh-a", ns)
	waitHeartbeat(t, hbPath, 200, heartbeat.StatusHealthy, 90*time.Second)
	cfg := leader.DefaultConfig()
	failOpen := webhookFailOpen(t)

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	cp := watchControlPlane(t, watchCtx)
	views := pollMembers(watchCtx, ns, pods, time.Second)
	pending := startChurn(t, ns, 250*time.Millisecond)
	rolled := rollControlPlane(t)
	waitRolledOut(t, 3*time.Minute)
	// A replica that died without leaving is listed dead within the detection bound.
	observe := detectionBound(gossip.DefaultConfig(), meshSize(t, ns, pods))
	time.Sleep(observe)
	admissions := pending.finish()
	stopWatch()

	t.Run("no admission failure", func(t *testing.T) {
		failed, injected, plain, slowest := summarize(admissions)
		t.Logf("%d pods created during the rollout: %d injected, %d uninjected, %d failed; slowest %s",
			len(admissions), injected, plain, len(failed), slowest.Round(time.Millisecond))
		assert.Empty(t, failed, "every pod creation succeeds")
		assert.Zero(t, plain, "every pod is injected (an uninjected one was admitted while no replica answered)")
		assert.Zero(t, webhookFailOpen(t)-failOpen, "the API server let no admission through after a webhook failure")
		assert.Greater(t, len(admissions), 20, "pods were created throughout the rollout")
	})

	t.Run("no member marked dead", func(t *testing.T) {
		s := views.result()
		t.Logf("%d members views read (%d failed); fewest live control-plane members %d; departed control-plane members seen left %d",
			s.reads, s.errors, s.minControlPlane, s.maxLeft)
		assert.Zero(t, s.maxDead, "no sidecar counts a dead member: %v", s.deadSeen)
		assert.Empty(t, s.notAlive, "the mesh's own pods stay alive in every view")
		assert.GreaterOrEqual(t, s.minControlPlane, 1, "the sidecars always see a control-plane member")
		assert.Greater(t, s.reads, len(pods)*10, "views were read throughout")
	})

	t.Run("leader handover within the failover bound", func(t *testing.T) {
		hs := cp.handovers()
		gapBound := time.Duration((1+leaderelection.JitterFactor)*float64(cfg.RetryPeriod)) + apiSlack
		termBound := cfg.StopTimeout + gapBound
		require.NotEmpty(t, hs, "the Lease changed hands (every old replica was replaced)")
		for _, h := range hs {
			t.Logf("handover %s -> %s: released %v, leaderless %s (bound %s), from termination %s (bound %s)",
				h.from, h.to, h.released, h.gap.Round(time.Millisecond), gapBound, h.fromTerm.Round(time.Millisecond), termBound)
			assert.True(t, h.released, "%s released the Lease on SIGTERM (no wait for it to expire)", h.from)
			assert.LessOrEqual(t, h.gap, gapBound, "leaderless from %s to %s", h.from, h.to)
			assert.LessOrEqual(t, h.fromTerm, termBound, "from %s terminating to %s leading", h.from, h.to)
		}
		assertLeaderLabelled(t, cp.holder(), rolled)
		waitHeartbeat(t, hbPath, 200, heartbeat.StatusHealthy, 30*time.Second)
	})
}

// rollControlPlane starts a rolling update of the control plane, as `kubectl rollout
// restart` does, and returns the annotation value of the new revision.
func rollControlPlane(t *testing.T) string {
	t.Helper()
	at := time.Now().Format(time.RFC3339Nano)
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, contract.AnnotationRestartedAt, at)
	_, err := suite.client.AppsV1().Deployments(contract.DefaultNamespace).Patch(t.Context(), controlPlaneDeployment,
		types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
	return at
}

// waitRolledOut waits until the Deployment runs only updated, available replicas
// and no old pod is left terminating.
func waitRolledOut(t *testing.T, timeout time.Duration) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		d, err := suite.client.AppsV1().Deployments(contract.DefaultNamespace).Get(t.Context(), controlPlaneDeployment, metav1.GetOptions{})
		require.NoError(c, err)
		want := *d.Spec.Replicas
		s := d.Status
		require.True(c, s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want,
			"rollout: %+v", s)
		list, err := suite.client.CoreV1().Pods(contract.DefaultNamespace).List(t.Context(), metav1.ListOptions{LabelSelector: controlPlaneSelector})
		require.NoError(c, err)
		assert.Len(c, list.Items, int(want), "only the new replicas are left")
	}, timeout, time.Second)
}

// assertLeaderLabelled checks that the Lease's holder is a replica of the new
// revision and the only pod labelled leader.
func assertLeaderLabelled(t *testing.T, holder, revision string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		list, err := suite.client.CoreV1().Pods(contract.DefaultNamespace).List(t.Context(), metav1.ListOptions{
			LabelSelector: contract.LabelRole + "=" + contract.RoleLeader,
		})
		require.NoError(c, err)
		require.Len(c, list.Items, 1, "one pod labelled leader")
		p := list.Items[0]
		assert.Equal(c, holder, p.Name, "the leader label is on the Lease's holder")
		assert.Equal(c, revision, p.Annotations[contract.AnnotationRestartedAt], "%s is a replica of the new revision", p.Name)
	}, 30*time.Second, time.Second)
}

// waitNoneDead waits until no sidecar counts a dead member: dead members of
// earlier tests stay listed for gossip's DepartedRetention.
func waitNoneDead(t *testing.T, ns string, pods []corev1.Pod) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, p := range pods {
			v, err := members(t.Context(), ns, p.Name)
			require.NoError(c, err)
			assert.Zero(c, v.Counts.ByState[gossip.StateDead], "dead members in %s's view", p.Name)
		}
	}, gossip.DefaultConfig().DepartedRetention+30*time.Second, time.Second)
}

// memberPoll reads every observer's members view each interval.
type memberPoll struct {
	mu   sync.Mutex
	done chan struct{}
	s    pollSummary
}

// pollSummary is what the views showed over the poll.
type pollSummary struct {
	reads, errors   int
	maxDead         int
	maxLeft         int
	minControlPlane int
	deadSeen        []string // observer: count, when a view counted a dead member
	notAlive        []string // an observed pod's member listed other than alive
}

func pollMembers(ctx context.Context, ns string, observers []corev1.Pod, interval time.Duration) *memberPoll {
	m := &memberPoll{done: make(chan struct{}), s: pollSummary{minControlPlane: 1 << 30}}
	go func() {
		defer close(m.done)
		for {
			for _, o := range observers {
				m.read(ctx, ns, o.Name, observers)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		}
	}()
	return m
}

func (m *memberPoll) read(ctx context.Context, ns, pod string, observers []corev1.Pod) {
	v, err := members(ctx, ns, pod)
	if ctx.Err() != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.s.errors++
		return
	}
	m.s.reads++
	dead := v.Counts.ByState[gossip.StateDead]
	if dead > 0 {
		m.s.deadSeen = append(m.s.deadSeen, fmt.Sprintf("%s: %d at %s", pod, dead, time.Now().Format(time.StampMilli)))
	}
	m.s.maxDead = max(m.s.maxDead, dead)
	m.s.maxLeft = max(m.s.maxLeft, v.Counts.ByState[gossip.StateLeft])
	m.s.minControlPlane = min(m.s.minControlPlane, v.Counts.LiveByRole[gossip.RoleControlPlane])
	for _, o := range observers {
		if st := memberState(v, ns, o.Name); st != gossip.StateAlive {
			m.s.notAlive = append(m.s.notAlive, fmt.Sprintf("%s in %s's view: %q", o.Name, pod, st))
		}
	}
}

// result waits for the poll to end (its context done) and returns the summary.
func (m *memberPoll) result() pollSummary {
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.s
}
