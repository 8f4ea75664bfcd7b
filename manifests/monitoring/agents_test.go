package monitoring

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/sidecar"
)

// agentDaemonSet is the node agents' DaemonSet in manifests/agents.
const agentDaemonSet = "../agents/daemonset.yaml"

// agentJob is the job label of the node agents' targets.
const agentJob = "meshprobe-agent"

// agentTemplate reads the pod template of the shipped meshprobe-agent DaemonSet, so
// the test's agents have its labels, container, ports, args and env.
func agentTemplate(t *testing.T) corev1.PodTemplateSpec {
	t.Helper()
	var ds appsv1.DaemonSet
	require.NoError(t, yaml.UnmarshalStrict(readFile(t, agentDaemonSet), &ds))
	require.Equal(t, "DaemonSet", ds.Kind)
	require.Len(t, ds.Spec.Template.Spec.Containers, 1)
	return ds.Spec.Template
}

// TestAgentPodMonitor: the agents' PodMonitor selects the shipped DaemonSet's pods
// in meshprobe's namespace only, on the port the agent serves /metrics on.
func TestAgentPodMonitor(t *testing.T) {
	pm := readPodMonitor(t, agentPodMon)
	assert.Equal(t, []string{contract.DefaultNamespace}, pm.Spec.NamespaceSelector.MatchNames)
	assert.False(t, pm.Spec.NamespaceSelector.Any)
	assert.Equal(t, contract.PortNameHTTP, pm.Spec.PodMetricsEndpoints[0].Port)
	tmpl := agentTemplate(t)
	for k, v := range pm.Spec.Selector.MatchLabels {
		assert.Equal(t, v, tmpl.Labels[k], "pod template label %s", k)
	}
	c := tmpl.Spec.Containers[0]
	assert.Equal(t, agentJob, c.Name, "the container the relabelings keep")
	i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == contract.PortNameHTTP })
	require.GreaterOrEqual(t, i, 0, "the DaemonSet names its HTTP port %s", contract.PortNameHTTP)
	assert.Equal(t, int32(contract.DefaultHTTPPort), c.Ports[i].ContainerPort)
}

// agent is one node agent of the test: a meshprobe-sidecar process in agent mode on
// its own loopback address, with the Pod object the DaemonSet would create.
type agent struct {
	pod, node, ip string
}

// nodeAgents are one agent per node of nodeZones, on block+"21", "22", ...
func nodeAgents(block string) []agent {
	var out []agent
	for i, node := range slices.Sorted(maps.Keys(nodeZones)) {
		out = append(out, agent{pod: "meshprobe-agent-" + node, node: node, ip: block + strconv.Itoa(21+i)})
	}
	return out
}

// agentPod is the Pod the DaemonSet creates on a's node, from tmpl.
func agentPod(tmpl corev1.PodTemplateSpec, a agent) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: *tmpl.ObjectMeta.DeepCopy(), Spec: *tmpl.Spec.DeepCopy()}
	pod.Name, pod.Namespace, pod.Spec.NodeName = a.pod, contract.DefaultNamespace, a.node
	pod.Spec.ServiceAccountName = "default" // as the control plane's Pod: the test creates no other ServiceAccount
	return pod
}

// startAgents creates each agent's Pod from the shipped DaemonSet and runs
// meshprobe-sidecar with the container's args and env (the Downward API values
// filled in, the mounted paths pointed at the test's files), joined to the mesh at
// join. The agents have no cluster checks (their file is missing, which is valid).
func startAgents(t *testing.T, env *testenv.Env, bin, logDir, join, keyDir string, agents []agent) {
	t.Helper()
	tmpl := agentTemplate(t)
	c := tmpl.Spec.Containers[0]
	for _, a := range agents {
		pod := createRunningPod(t, env.Client, agentPod(tmpl, a), a.ip)
		require.Equal(t, nodeZones[a.node], pod.Labels[labelZone], "%s: the zone is copied from its node", a.pod)
		info := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(info, contract.PodInfoLabelsFile), []byte(downward(pod.Labels)), 0o600))
		vars := append(containerEnv(t, c, pod, a.ip),
			contract.EnvGossipJoin+"="+join,
			contract.EnvPodInfoDir+"="+info,
			contract.EnvGossipKeyDir+"="+keyDir,
			sidecar.EnvChecksFile+"="+filepath.Join(t.TempDir(), "checks.yaml"),
			sidecar.EnvGossipBindAddr+"="+a.ip,
			sidecar.EnvHTTPAddr+"="+a.ip,
		)
		startProcess(t, logDir, a.pod, bin+"/meshprobe-sidecar", c.Args, vars)
	}
}

// agentRTTConfig is the agents' configuration as the sidecar binary reads the
// shipped DaemonSet's args and env: what bounds their RTT series.
func agentRTTConfig(t *testing.T) sidecar.Config {
	t.Helper()
	tmpl := agentTemplate(t)
	c := tmpl.Spec.Containers[0]
	vars := map[string]string{}
	for _, kv := range containerEnv(t, c, agentPod(tmpl, agent{pod: "meshprobe-agent-x", node: "node-x"}), "10.0.0.1") {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cfg, err := sidecar.LoadConfig(c.Args, func(k string) string { return vars[k] }, io.Discard)
	require.NoError(t, err)
	require.Equal(t, sidecar.ModeAgent, cfg.Mode)
	return cfg
}

// containerEnv is c's environment as the kubelet gives it to pod at ip: literal
// values and the Downward API fields; resource fields are left out (GOMEMLIMIT).
func containerEnv(t *testing.T, c corev1.Container, pod *corev1.Pod, ip string) []string {
	t.Helper()
	fields := map[string]string{
		"metadata.name": pod.Name, "metadata.namespace": pod.Namespace, "metadata.uid": string(pod.UID),
		"spec.nodeName": pod.Spec.NodeName, "status.podIP": ip,
	}
	var out []string
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			out = append(out, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil:
			v, ok := fields[e.ValueFrom.FieldRef.FieldPath]
			require.True(t, ok, "env %s: field %s", e.Name, e.ValueFrom.FieldRef.FieldPath)
			out = append(out, e.Name+"="+v)
		}
	}
	return out
}

// agentDecoy has the agents' pod labels, container and ports (the shipped
// template's) but is in a tenant's namespace. Created at a live agent's address,
// where /metrics answers, it must be no target of any job.
func agentDecoy(t *testing.T, namespace string, a agent) *corev1.Pod {
	t.Helper()
	tmpl := agentTemplate(t)
	spec := tmpl.Spec
	spec.NodeName, spec.ServiceAccountName = a.node, "default"
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "decoy-agent", Namespace: namespace, Labels: tmpl.Labels}, Spec: spec}
}

// agentNodeRTT: every agent's echo RTT series arrive through the agents' job with
// the sidecars' target labels (namespace, pod, node, zone, app) and a peer_node for
// every node, its own included (the sidecars beside it).
func agentNodeRTT(t *testing.T, ctx context.Context, prom *promtest.Server, agents []agent) {
	for _, a := range agents {
		for _, peer := range slices.Sorted(maps.Keys(nodeZones)) {
			sel := fmt.Sprintf(`meshprobe_gossip_rtt_seconds_count{job=%q, scrape_source="", namespace=%q, app=%q, `+
				`pod=%q, node=%q, zone=%q, probe="echo", peer_node=%q}`,
				agentJob, contract.DefaultNamespace, agentJob, a.pod, a.node, nodeZones[a.node], peer)
			assert.NoError(t, waitSeries(ctx, prom, sel), sel)
		}
	}
}
