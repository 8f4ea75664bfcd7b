package overlays_test

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/sidecar"
	"github.com/meshprobe/meshprobe/webhook"
)

// agentsDir is the plain kustomization of the agents, which the agents overlay
// adds to the default install.
const agentsDir = "../agents"

func agentDaemonSet(t *testing.T, objs []*unstructured.Unstructured) *appsv1.DaemonSet {
	t.Helper()
	o := overlayObject(objs, "DaemonSet", sidecar.AgentOwnerName)
	require.NotNil(t, o, "the DaemonSet meshprobe-agent")
	var ds appsv1.DaemonSet
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, &ds, true))
	return &ds
}

// kindsOf counts objects by kind/name.
func kindsOf(objs []*unstructured.Unstructured) map[string]int {
	out := map[string]int{}
	for _, o := range objs {
		out[o.GetKind()+"/"+o.GetName()]++
	}
	return out
}

// TestAgentsOverlay: manifests/agents is the ServiceAccount and the DaemonSet in
// meshprobe-system and nothing else (so it applies on top of an install); the
// agents overlay is exactly the default install plus those two.
func TestAgentsOverlay(t *testing.T) {
	agents := install.RenderForTest(t, agentsDir)
	assert.Equal(t, map[string]int{"ServiceAccount/meshprobe-agent": 1, "DaemonSet/meshprobe-agent": 1}, kindsOf(agents))
	for _, o := range agents {
		assert.Equal(t, contract.DefaultNamespace, o.GetNamespace(), "%s %s", o.GetKind(), o.GetName())
	}
	want := kindsOf(install.RenderForTest(t, "../"))
	for k, n := range kindsOf(agents) {
		want[k] += n
	}
	assert.Equal(t, want, kindsOf(install.RenderForTest(t, "agents")), "the default install plus the agents")
}

// TestAgentPodLikeTheInjectedSidecar compares the agent's container with the
// sidecar the webhook injects with its defaults: the same image, security
// context, resources, ports and probes; and checks that the pod never gets an
// API token and that RBAC grants its ServiceAccount nothing.
func TestAgentPodLikeTheInjectedSidecar(t *testing.T) {
	objs := install.RenderForTest(t, "agents")
	ds := agentDaemonSet(t, objs)
	spec := ds.Spec.Template.Spec
	require.Len(t, spec.Containers, 1)
	agent := spec.Containers[0]

	cfg := webhook.DefaultConfig()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}}
	injected, reason := webhook.Mutate(pod, "shop", &cfg)
	require.Equal(t, webhook.ReasonInjected, reason)
	require.NotEmpty(t, injected.Spec.InitContainers)
	sc := injected.Spec.InitContainers[len(injected.Spec.InitContainers)-1]

	assert.Equal(t, sc.Image, agent.Image, "the sidecar image")
	assert.Equal(t, sc.ImagePullPolicy, agent.ImagePullPolicy)
	assert.True(t, equality.Semantic.DeepEqual(sc.SecurityContext, agent.SecurityContext), "security context: %+v", agent.SecurityContext)
	assert.True(t, equality.Semantic.DeepEqual(sc.Resources, agent.Resources), "resources: %+v", agent.Resources)
	assert.Equal(t, sc.Ports, agent.Ports)
	assert.Equal(t, sc.StartupProbe, agent.StartupProbe)
	assert.Equal(t, sc.LivenessProbe, agent.LivenessProbe)
	require.NotNil(t, agent.ReadinessProbe, "a DaemonSet rollout waits for the agent to gossip")
	assert.Equal(t, "/readyz", agent.ReadinessProbe.HTTPGet.Path)

	assert.Equal(t, []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, spec.Tolerations, "every node")
	assert.Equal(t, sidecar.AgentOwnerName, spec.ServiceAccountName)
	require.NotNil(t, spec.AutomountServiceAccountToken)
	assert.False(t, *spec.AutomountServiceAccountToken, "no API token in the pod")
	sa := overlayObject(objs, "ServiceAccount", sidecar.AgentOwnerName)
	require.NotNil(t, sa)
	automount, found, err := unstructured.NestedBool(sa.Object, "automountServiceAccountToken")
	require.NoError(t, err)
	assert.True(t, found && !automount, "the ServiceAccount does not mount its token either")
	require.NotNil(t, spec.SecurityContext)
	assert.True(t, *spec.SecurityContext.RunAsNonRoot)
	for _, o := range objs {
		subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
		for _, s := range subjects {
			assert.NotEqual(t, sidecar.AgentOwnerName, s.(map[string]any)["name"], "%s %s binds the agents' ServiceAccount", o.GetKind(), o.GetName())
		}
	}
}

// TestAgentConfigParses runs the agent container's arguments and env through the
// sidecar's own configuration parser: agent mode, its checks file in the mounted
// cluster-checks ConfigMap, its key file in the mounted source Secret, the ports
// and node-to-node RTT labels the pod spec names.
func TestAgentConfigParses(t *testing.T) {
	ds := agentDaemonSet(t, install.RenderForTest(t, agentsDir))
	spec := ds.Spec.Template.Spec
	agent := spec.Containers[0]
	env := map[string]string{}
	for _, e := range agent.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "from-" + e.ValueFrom.FieldRef.FieldPath // the Downward API fills it
		}
	}
	for _, name := range []string{contract.EnvPodName, contract.EnvPodNamespace, contract.EnvPodIP, contract.EnvPodUID, contract.EnvNodeName} {
		assert.Contains(t, env, name, "set from the Downward API")
	}
	cfg, err := sidecar.LoadConfig(agent.Args, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, sidecar.ModeAgent, cfg.Mode)
	assert.Equal(t, sidecar.DefaultAgentChecksFile, cfg.ChecksFile)
	assert.Equal(t, sidecar.AgentOwnerKind, cfg.OwnerKind)
	assert.Equal(t, sidecar.AgentOwnerName, cfg.OwnerName)
	assert.Equal(t, []string{"peer_node"}, cfg.RTTPeerLabels, "node-to-node RTT series")

	mounts := map[string]string{}
	for _, m := range agent.VolumeMounts {
		assert.True(t, m.ReadOnly, m.Name)
		mounts[m.MountPath] = m.Name
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	key := volumes[mounts[cfg.GossipKeyDir]].Secret
	require.NotNil(t, key, "the key directory is a Secret volume")
	assert.Equal(t, contract.GossipKeySecretName, key.SecretName, "the source Secret in meshprobe-system")
	assert.Equal(t, []corev1.KeyToPath{{Key: contract.GossipKeySecretKey, Path: filepath.Base(cfg.KeyFile())}}, key.Items)
	assert.True(t, *key.Optional, "the leader creates it: the agent waits")
	checks := volumes[mounts[filepath.Dir(cfg.ChecksFile)]].ConfigMap
	require.NotNil(t, checks, "the checks file is in a ConfigMap volume")
	assert.Equal(t, "meshprobe-cluster-checks", checks.Name)
	assert.True(t, *checks.Optional, "no cluster checks yet is no checks")
	assert.NotNil(t, volumes[mounts[cfg.PodInfoDir]].DownwardAPI, "the labels file")

	ports := map[string]int32{}
	for _, p := range agent.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, int32(cfg.GossipPort), ports[contract.PortNameGossipTCP])
	assert.Equal(t, int32(cfg.GossipPort), ports[contract.PortNameGossipUDP])
	assert.Equal(t, int32(cfg.HTTPPort), ports[contract.PortNameHTTP])
}

// TestAgentsOverlayOnAPIServer applies the agents overlay to a real kube-apiserver
// (cert-manager stood in for by a local CA), then, with meshprobe-system under the
// "restricted" Pod Security Standard (enforce and warn), re-applies the DaemonSet
// without a warning and creates (dry-run) a pod of its template: admitted, and
// without the ServiceAccount token volume that the same pod asking for a token
// gets.
func TestAgentsOverlayOnAPIServer(t *testing.T) {
	objs := install.RenderForTest(t, "agents")
	env := testenv.Start(t)
	ca, err := controlplane.NewCA("meshprobe-test-ca", time.Hour)
	require.NoError(t, err)
	require.NoError(t, install.Apply(t.Context(), env.Config, objs, install.Options{CA: ca}))
	ns := contract.DefaultNamespace
	_, err = env.Client.CoreV1().Namespaces().Patch(t.Context(), ns, types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/warn":"restricted"}}}`),
		metav1.PatchOptions{})
	require.NoError(t, err)

	var warnings bytes.Buffer // written by the client's calls, which return before it is read
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = rest.NewWarningWriter(&warnings, rest.WarningWriterOptions{})
	client, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	data, err := json.Marshal(overlayObject(objs, "DaemonSet", sidecar.AgentOwnerName).Object)
	require.NoError(t, err)
	_, err = client.AppsV1().DaemonSets(ns).Patch(t.Context(), sidecar.AgentOwnerName, types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "meshprobe-overlays-test", Force: new(true), DryRun: []string{metav1.DryRunAll}})
	require.NoError(t, err)
	assert.Empty(t, warnings.String(), "the restricted Pod Security Standard has nothing to say about the DaemonSet")

	ds := agentDaemonSet(t, objs)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "meshprobe-agent-test", Namespace: ns, Labels: ds.Spec.Template.Labels},
		Spec: *ds.Spec.Template.Spec.DeepCopy()}
	created, err := client.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	require.NoError(t, err, "the agent pod passes the restricted Pod Security Standard")
	assert.False(t, hasTokenVolume(created), "no ServiceAccount token in the agent pod: %+v", created.Spec.Volumes)

	pod.Spec.AutomountServiceAccountToken = new(true)
	withToken, err := client.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	require.NoError(t, err)
	assert.True(t, hasTokenVolume(withToken), "the apiserver mounts a token where the pod asks for one (the check above can fail)")
}

// hasTokenVolume reports whether the pod has a ServiceAccount token volume or a
// mount at the token's path.
func hasTokenVolume(p *corev1.Pod) bool {
	for _, v := range p.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return true
			}
		}
	}
	for _, c := range p.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if m.MountPath == contract.ServiceAccountTokenDir {
				return true
			}
		}
	}
	return false
}
