//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// The node agents' manifests, applied on top of the suite's install, and what
// finds their pods.
const (
	agentsDir      = "../manifests/agents"
	agentsSelector = "app.kubernetes.io/name=meshprobe-agent"
	agentsSource   = "e2e-cluster-checks"
)

// clusterChecks are the e2e cluster checks, formatted with the first node's name:
// one on every agent, one on exactly one agent of the nodes named localnode*, one on
// the agents of the first node only.
const clusterChecks = `
- name: every-node
  displayName: Cluster DNS from every node
  type: dns
  query: kubernetes.default.svc.cluster.local
  interval: 2s
  timeout: 1s
  runOn: "*"
- name: one-node
  type: tcp
  address: kubernetes.default.svc:443
  interval: 2s
  timeout: 1s
  runOn: "localnode$"
  labels: {team: e2e}
- name: first-node
  type: tcp
  address: kubernetes.default.svc:443
  interval: 2s
  timeout: 1s
  runOn: "%s*"
`

// Node agents (manifests/agents) on every node run the cluster checks, which the
// control plane gathers from labelled ConfigMaps and the agents read from a mounted
// ConfigMap, with no API access: an all-nodes check runs on every agent, a
// one-node prefix pattern on exactly one agent until that agent's pod is deleted,
// and a node glob only on its node. The agents measure RTT to every other node.
func TestNodeAgents(t *testing.T) {
	ctx := t.Context()
	nodes := nodeNames(t)
	require.GreaterOrEqual(t, len(nodes), 2, "two nodes")
	for _, n := range nodes {
		require.True(t, strings.HasPrefix(n, "localnode"), "node %s: the one-node pattern is localnode$", n)
	}
	createClusterChecks(t, fmt.Sprintf(clusterChecks, nodes[0]))
	deployAgents(t)
	agents := waitReadyPods(t, contract.DefaultNamespace, agentsSelector, len(nodes), 3*time.Minute)
	t.Cleanup(func() {
		if t.Failed() {
			dumpAgents(t, agents)
		}
	})

	t.Run("an all-nodes check runs on every agent", func(t *testing.T) {
		for _, a := range agents {
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				st, err := checkStatus(ctx, a.Namespace, a.Name, "every-node")
				require.NoError(c, err)
				assert.Equal(c, checks.ResultSuccess, st.LastResult, "%s on %s: %s %s", a.Name, a.Spec.NodeName, st.Error, st.Reason)
				assert.Equal(c, "Cluster DNS from every node", st.DisplayName)
			}, time.Minute, time.Second)
		}
	})

	t.Run("a node glob runs only on its node", func(t *testing.T) {
		for _, a := range agents {
			want := checks.StateUnscheduled
			if a.Spec.NodeName == nodes[0] {
				want = checks.ResultSuccess
			}
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				st, err := checkStatus(ctx, a.Namespace, a.Name, "first-node")
				require.NoError(c, err)
				assert.Equal(c, want, st.LastResult, "%s on %s: %s", a.Name, a.Spec.NodeName, st.Reason)
			}, time.Minute, time.Second)
		}
	})

	t.Run("a one-node pattern runs on one agent and moves when its pod goes", func(t *testing.T) {
		runner := waitSingleRunner(t, agents, "one-node")
		deleted := time.Now()
		require.NoError(t, suite.client.CoreV1().Pods(runner.Namespace).Delete(ctx, runner.Name, metav1.DeleteOptions{}))
		// The survivors elect among themselves once the runner leaves the mesh; the
		// DaemonSet's replacement may win it back later, so look for a success on
		// another node after the deletion, which lastSuccess keeps.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			moved := 0
			for _, a := range agents {
				if a.Name == runner.Name || a.Spec.NodeName == runner.Spec.NodeName {
					continue
				}
				st, err := checkStatus(ctx, a.Namespace, a.Name, "one-node")
				if assert.NoError(c, err) && st.LastSuccess != nil && st.LastSuccess.After(deleted) {
					moved++
				}
			}
			assert.Positive(c, moved, "an agent on another node than %s ran one-node after %s was deleted", runner.Spec.NodeName, runner.Name)
		}, time.Minute, 500*time.Millisecond)
		live := waitReadyPods(t, contract.DefaultNamespace, agentsSelector, len(nodes), 3*time.Minute)
		waitSingleRunner(t, live, "one-node")
	})

	t.Run("node-to-node RTT series for every node pair", func(t *testing.T) {
		live := waitReadyPods(t, contract.DefaultNamespace, agentsSelector, len(nodes), 3*time.Minute)
		for _, a := range live {
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				lines, err := metrics(ctx, a.Namespace, a.Name, "meshprobe_gossip_rtt_seconds_count")
				require.NoError(c, err)
				for _, peer := range nodes {
					if peer == a.Spec.NodeName {
						continue
					}
					n, ok := metricValue(lines, "meshprobe_gossip_rtt_seconds_count", map[string]string{"probe": "echo", "peer_node": peer})
					assert.True(c, ok && n > 0, "agent on %s: echo RTT to node %s", a.Spec.NodeName, peer)
				}
			}, time.Minute, time.Second)
		}
	})
}

// createClusterChecks creates a cluster-checks source ConfigMap and waits until the
// control plane has delivered it into the agents' ConfigMap.
func createClusterChecks(t *testing.T, list string) {
	t.Helper()
	ctx := t.Context()
	cms := suite.client.CoreV1().ConfigMaps(contract.DefaultNamespace)
	_, err := cms.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: agentsSource, Labels: map[string]string{"meshprobe.io/checks": "true"}},
		Data:       map[string]string{"checks.yaml": list},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := cms.Delete(context.Background(), agentsSource, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s: %v", agentsSource, err)
		}
	})
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		cm, err := cms.Get(ctx, "meshprobe-cluster-checks", metav1.GetOptions{})
		require.NoError(c, err)
		assert.Contains(c, cm.Data["checks.yaml"], "one-node", "the control plane delivered the e2e cluster checks")
	}, time.Minute, time.Second)
}

// deployAgents applies the agents' manifests and deletes them when the test ends,
// waiting until their pods are gone so later tests see the mesh they expect.
func deployAgents(t *testing.T) {
	t.Helper()
	kubectl(t, "apply", "-k", agentsDir)
	t.Cleanup(func() {
		kubectl(t, "delete", "-k", agentsDir, "--wait=true", "--timeout=2m")
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			pods, err := suite.client.CoreV1().Pods(contract.DefaultNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: agentsSelector})
			require.NoError(c, err)
			assert.Empty(c, pods.Items, "agent pods are gone")
		}, 2*time.Minute, time.Second)
	})
}

// kubectl runs kubectl against the suite's cluster and fails the test on error.
func kubectl(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", suiteKubeconfig(t)}, args...)...).CombinedOutput()
	require.NoError(t, err, "kubectl %s: %s", strings.Join(args, " "), out)
}

// dumpAgents logs the agents' last log lines and check reports.
func dumpAgents(t *testing.T, agents []corev1.Pod) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, a := range agents {
		raw, err := proxyGet(ctx, a.Namespace, a.Name, contract.DefaultHTTPPort, "/api/v1/checks")
		t.Logf("---- %s on %s /api/v1/checks (err %v):\n%s", a.Name, a.Spec.NodeName, err, raw)
		logs, err := suite.client.CoreV1().Pods(a.Namespace).GetLogs(a.Name, &corev1.PodLogOptions{TailLines: ptr.To[int64](40)}).DoRaw(ctx)
		t.Logf("---- logs %s (err %v):\n%s", a.Name, err, logs)
	}
}
