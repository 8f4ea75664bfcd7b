//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/gossip"
)

// The sidecars of two deployments form one mesh with the control plane, across
// nodes; RTT histograms fill with sane values; a deleted pod leaves the mesh.
func TestMesh(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	deployApp(t, ns, appSpec{name: "mesh-a", replicas: 2, spread: true})
	deployApp(t, ns, appSpec{name: "mesh-b", replicas: 1})
	pods := append(waitReadyPods(t, ns, "app=mesh-a", 2, 2*time.Minute), waitReadyPods(t, ns, "app=mesh-b", 1, time.Minute)...)
	want := map[string]bool{}
	for _, p := range pods {
		want[ns+"/"+p.Name] = true
	}

	t.Run("one mesh with every pod and the control plane", func(t *testing.T) {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			for _, p := range pods {
				v, err := members(ctx, ns, p.Name)
				require.NoError(c, err)
				alive := aliveByPod(v)
				for name := range want {
					assert.True(c, alive[name], "%s sees %s alive", p.Name, name)
				}
				for _, m := range v.Members {
					assert.Equal(c, ns, m.Meta.Namespace, "%s lists only its own namespace's members", p.Name)
				}
				assert.GreaterOrEqual(c, v.Counts.LiveByRole[gossip.RoleControlPlane], 1, "%s counts a control-plane member", p.Name)
			}
		}, 90*time.Second, time.Second)
	})

	t.Run("RTT histograms across nodes with sane values", func(t *testing.T) {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			lines, err := metrics(ctx, ns, pods[0].Name, "meshprobe_gossip_rtt_seconds")
			require.NoError(c, err)
			want := map[string]string{"same_node": "false", "peer_namespace": ns}
			count, ok := metricValue(lines, "meshprobe_gossip_rtt_seconds_count", want)
			require.True(c, ok, "a cross-node RTT series for peers in %s", ns)
			require.Greater(c, count, 2.0)
			sum, _ := metricValue(lines, "meshprobe_gossip_rtt_seconds_sum", want)
			mean := sum / count
			assert.Greater(c, mean, 0.0)
			assert.Less(c, mean, 0.25, "mean cross-node RTT %.6fs is sane for one machine", mean)
		}, 60*time.Second, time.Second)
	})

	t.Run("a deleted pod leaves the mesh", func(t *testing.T) {
		gone, observer := pods[2], pods[0] // mesh-b's only pod, seen from mesh-a
		require.NoError(t, suite.client.CoreV1().Pods(ns).Delete(ctx, gone.Name, metav1.DeleteOptions{}))
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			v, err := members(ctx, ns, observer.Name)
			require.NoError(c, err)
			assert.False(c, aliveByPod(v)[ns+"/"+gone.Name], "%s still alive in %s's view", gone.Name, observer.Name)
		}, 45*time.Second, time.Second)
	})
}
