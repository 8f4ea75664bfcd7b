//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// observeSlack is what observing a departure adds to the mesh's own bound: this
// test polls every observer each 250 ms through the apiserver's pod proxy, on a
// loaded 2-core machine.
const observeSlack = 2 * time.Second

// A pod that leaves mid-run leaves every other sidecar's member list within the
// bound the gossip configuration gives: as "left" within the leave bound when it
// is deleted (the kubelet stops its sidecar, which leaves gracefully), as "dead"
// within the failure-detection bound when its sidecar hangs and the pod is
// force-deleted (it never says goodbye).
func TestRealNodeMeshLeave(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	nodes := nodeNames(t)
	require.GreaterOrEqual(t, len(nodes), 2, "two nodes")
	for i := range 4 {
		p := bareAppPod(fmt.Sprintf("member-%d", i), map[string]string{"group": "leave"})
		p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": nodes[i%2]}
		_, err := suite.client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	pods := waitReadyPods(t, ns, "group=leave", 4, 2*time.Minute)
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Spec.NodeName+a.Name, b.Spec.NodeName+b.Name) })
	// pods[0], pods[1] on one node, pods[2], pods[3] on the other: one leaves from
	// each node, one observer stays on each.
	left, killed, observers := pods[0], pods[2], []corev1.Pod{pods[1], pods[3]}
	waitMesh(t, ns, pods)
	cfg := gossip.DefaultConfig()
	grace := time.Duration(ptr.Deref(left.Spec.TerminationGracePeriodSeconds, 30)) * time.Second

	t.Run("a deleted pod is left within the leave bound", func(t *testing.T) {
		n := meshSize(t, ns, observers)
		bound := leaveBound(cfg, n, grace)
		start := time.Now()
		require.NoError(t, suite.client.CoreV1().Pods(ns).Delete(ctx, left.Name, metav1.DeleteOptions{}))
		took := waitDeparted(t, ns, observers, left.Name, gossip.StateLeft, start, bound)
		t.Logf("deleted pod left every view in %s (bound %s, mesh of %d)", took.Round(10*time.Millisecond), bound, n)
	})

	t.Run("a hung and force-deleted pod is dead within the failure-detection bound", func(t *testing.T) {
		n := meshSize(t, ns, observers)
		bound := detectionBound(cfg, n)
		sidecar := containerProc(t, &killed, contract.SidecarContainerName)
		require.NoError(t, sidecar.signal(syscall.SIGSTOP))
		start := time.Now()
		require.NoError(t, suite.client.CoreV1().Pods(ns).Delete(ctx, killed.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}))
		took := waitDeparted(t, ns, observers, killed.Name, gossip.StateDead, start, bound)
		t.Logf("hung pod dead in every view in %s (bound %s, mesh of %d)", took.Round(10*time.Millisecond), bound, n)
	})
}

// detectionBound is the longest memberlist's failure detector, as package gossip
// configures it (gossip.DefaultConfig over memberlist.DefaultLANConfig), takes
// until every member of a mesh of n lists a member that stopped answering as
// dead, plus observeSlack:
//   - first probe: each member probes the others round robin, one per
//     ProbeInterval, and shuffles the order after each round, so one that just
//     probed the hung member probes it again within 2(n-1) intervals;
//   - that probe, the indirect probes and the TCP fallback fail within one
//     ProbeInterval, and the prober gossips the member as suspect;
//   - the suspicion reaches every member within retransmitLimit(n) gossip rounds
//     (memberlist gossips a message RetransmitMult*ceil(log10(n+1)) times);
//   - each member that heard it declares the member dead when its suspicion
//     timeout runs out: SuspicionMult*max(1, log10 n)*ProbeInterval, or
//     SuspicionMaxTimeoutMult times that when it waits for confirmations
//     (SuspicionMult-2 of them, if the mesh has that many other members).
//
// It assumes healthy members (memberlist's awareness score 0, which would
// otherwise stretch the probe interval up to 8 times).
func detectionBound(cfg gossip.Config, n int) time.Duration {
	lan := memberlist.DefaultLANConfig()
	firstProbe := time.Duration(2*(n-1)) * cfg.ProbeInterval
	scale := math.Max(1, math.Log10(float64(n)))
	suspicion := time.Duration(float64(cfg.SuspicionMult) * scale * float64(cfg.ProbeInterval))
	if k := cfg.SuspicionMult - 2; k >= 1 && n-2 >= k {
		suspicion *= time.Duration(lan.SuspicionMaxTimeoutMult)
	}
	return firstProbe + cfg.ProbeInterval + dissemination(cfg, n) + suspicion + observeSlack
}

// leaveBound is the longest a deleted pod takes to be listed as left by every
// member of a mesh of n: the kubelet stops the app, then the sidecar, within
// the pod's grace period; the sidecar announces it is leaving and broadcasts its
// leave within LeaveTimeout; the broadcast reaches every member within
// retransmitLimit(n) gossip rounds; plus observeSlack.
func leaveBound(cfg gossip.Config, n int, grace time.Duration) time.Duration {
	return grace + cfg.LeaveTimeout + dissemination(cfg, n) + observeSlack
}

// dissemination is memberlist's retransmit limit in gossip rounds.
func dissemination(cfg gossip.Config, n int) time.Duration {
	limit := memberlist.DefaultLANConfig().RetransmitMult * int(math.Ceil(math.Log10(float64(n+1))))
	return time.Duration(limit) * cfg.GossipInterval
}

// waitDeparted waits until every observer lists the pod's member as departed,
// asserts it is in state want there and came within bound of start, and returns
// how long it took.
func waitDeparted(t *testing.T, ns string, observers []corev1.Pod, pod, want string, start time.Time, bound time.Duration) time.Duration {
	t.Helper()
	var took time.Duration
	states := map[string]string{}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, o := range observers {
			v, err := members(t.Context(), ns, o.Name)
			require.NoError(c, err)
			states[o.Name] = memberState(v, ns, pod)
			assert.Contains(c, []string{gossip.StateDead, gossip.StateLeft}, states[o.Name], "%s in %s's view", pod, o.Name)
		}
		took = time.Since(start)
	}, bound+time.Minute, 250*time.Millisecond, "%s leaves the mesh", pod)
	for o, st := range states {
		assert.Equal(t, want, st, "%s in %s's view", pod, o)
	}
	assert.LessOrEqual(t, took, bound, "%s gone from every view within the bound", pod)
	return took
}

// memberState is the state of the pod's member in v ("" if unlisted).
func memberState(v *membersView, ns, pod string) string {
	for _, m := range v.Members {
		if m.Meta.Namespace == ns && m.Meta.Pod == pod {
			return m.State
		}
	}
	return ""
}

// waitMesh waits until every pod lists every other alive.
func waitMesh(t *testing.T, ns string, pods []corev1.Pod) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, o := range pods {
			v, err := members(t.Context(), ns, o.Name)
			require.NoError(c, err)
			for _, p := range pods {
				assert.Equal(c, gossip.StateAlive, memberState(v, ns, p.Name), "%s in %s's view", p.Name, o.Name)
			}
		}
	}, 90*time.Second, time.Second)
}

// meshSize is the largest number of live members (alive or suspect, self
// included) that an observer counts in the whole mesh.
func meshSize(t *testing.T, ns string, observers []corev1.Pod) int {
	t.Helper()
	n := 0
	for _, o := range observers {
		v, err := members(t.Context(), ns, o.Name)
		require.NoError(t, err)
		live := v.Counts.ByState[gossip.StateAlive] + v.Counts.ByState[gossip.StateSuspect]
		require.Positive(t, live, "%s counts the mesh by state", o.Name)
		n = max(n, live)
	}
	return n
}

// nodeNames returns the hostname labels of the cluster's nodes.
func nodeNames(t *testing.T) []string {
	t.Helper()
	list, err := suite.client.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	var out []string
	for _, n := range list.Items {
		out = append(out, n.Labels["kubernetes.io/hostname"])
	}
	slices.Sort(out)
	return out
}
