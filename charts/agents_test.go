package charts_test

import (
	"fmt"
	"path"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshprobe/meshprobe/migrate"
)

// agentDaemonSet renders the chart with vals and returns its DaemonSet
// meshprobe-agent, nil when there is none.
func agentDaemonSet(t *testing.T, vals map[string]any) *appsv1.DaemonSet {
	t.Helper()
	for _, o := range render(t, vals) {
		if o.GetKind() == "DaemonSet" && o.GetName() == "meshprobe-agent" {
			var ds appsv1.DaemonSet
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, &ds, true))
			return &ds
		}
	}
	return nil
}

// TestAgentsFollowTheValues: the agents are off by default; on, they follow the
// namespace, the sidecar image and the webhook's gossip-port, http-port and
// gossip-join flags (the default render is manifests/agents exactly:
// TestChartMatchesKustomize).
func TestAgentsFollowTheValues(t *testing.T) {
	assert.Nil(t, agentDaemonSet(t, nil), "off by default")

	tests := []struct {
		name  string
		vals  map[string]any
		image string
		pull  string
		env   map[string]string
		ports map[string]int32
	}{
		{"another namespace and ports", map[string]any{
			"namespace": "probes",
			"webhook":   map[string]any{"flags": map[string]any{"gossip-port": 15000, "http-port": 15001}},
		}, "ghcr.io/meshprobe/meshprobe-sidecar:latest", "IfNotPresent",
			map[string]string{"MESHPROBE_GOSSIP_JOIN": "meshprobe-gossip.probes.svc:15000", "MESHPROBE_GOSSIP_PORT": "15000", "MESHPROBE_HTTP_PORT": "15001"},
			map[string]int32{"meshprobe-gtcp": 15000, "meshprobe-gudp": 15000, "meshprobe-http": 15001}},
		{"a join address and a pinned image", map[string]any{
			"webhook": map[string]any{"image": map[string]any{"tag": "v1.2.0"}, "flags": map[string]any{"gossip-join": "seeds.example:14100"}},
			"sidecar": map[string]any{"image": map[string]any{"repository": "registry.example/meshprobe-sidecar", "pullPolicy": "Always"}},
		}, "registry.example/meshprobe-sidecar:v1.2.0", "Always",
			map[string]string{"MESHPROBE_GOSSIP_JOIN": "seeds.example:14100"},
			map[string]int32{"meshprobe-gtcp": 14100, "meshprobe-gudp": 14100, "meshprobe-http": 14101}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.vals["agents"] = map[string]any{"enabled": true}
			ds := agentDaemonSet(t, tt.vals)
			require.NotNil(t, ds)
			if ns, ok := tt.vals["namespace"]; ok {
				assert.Equal(t, ns, ds.Namespace)
			}
			c := ds.Spec.Template.Spec.Containers[0]
			assert.Equal(t, tt.image, c.Image)
			assert.Equal(t, tt.pull, string(c.ImagePullPolicy))
			env := map[string]string{}
			for _, e := range c.Env {
				env[e.Name] = e.Value
			}
			for k, v := range tt.env {
				assert.Equal(t, v, env[k], k)
			}
			for _, k := range []string{"MESHPROBE_GOSSIP_PORT", "MESHPROBE_HTTP_PORT"} {
				if _, want := tt.env[k]; !want {
					assert.NotContains(t, env, k, "the binary's default")
				}
			}
			ports := map[string]int32{}
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
			assert.Equal(t, tt.ports, ports)
		})
	}
}

// TestAgentCredentialSecrets: each of agents.credentialSecrets is mounted
// read-only where `meshprobe convert` points checks (migrate.DefaultSecretDir),
// beside the agent's own volumes; the schema refuses a name that is no Secret
// name, and more than 16.
func TestAgentCredentialSecrets(t *testing.T) {
	plain := agentDaemonSet(t, map[string]any{"agents": map[string]any{"enabled": true}})
	require.NotNil(t, plain)
	ds := agentDaemonSet(t, map[string]any{"agents": map[string]any{"enabled": true,
		"credentialSecrets": []any{"epsitter-credentials", "probe.tokens"}}})
	require.NotNil(t, ds)
	pod, plainPod := ds.Spec.Template.Spec, plain.Spec.Template.Spec
	require.Len(t, pod.Volumes, len(plainPod.Volumes)+2)
	require.Len(t, pod.Containers[0].VolumeMounts, len(plainPod.Containers[0].VolumeMounts)+2)
	assert.Equal(t, plainPod.Volumes, pod.Volumes[:len(plainPod.Volumes)], "the agent's own volumes stay")

	mounts := map[string]corev1.VolumeMount{}
	for _, m := range pod.Containers[0].VolumeMounts {
		mounts[m.Name] = m
	}
	for i, secret := range []string{"epsitter-credentials", "probe.tokens"} {
		v := pod.Volumes[len(plainPod.Volumes)+i]
		require.NotNil(t, v.Secret, v.Name)
		assert.Equal(t, secret, v.Secret.SecretName)
		m, ok := mounts[v.Name]
		require.True(t, ok, "volume %s is mounted", v.Name)
		assert.Equal(t, path.Join(migrate.DefaultSecretDir, secret), m.MountPath)
		assert.True(t, m.ReadOnly)
	}

	for _, bad := range [][]any{{"Upper"}, {"a/b"}, {""}, {"same", "same"}, seventeen()} {
		_, err := renderErr(t, map[string]any{"agents": map[string]any{"enabled": true, "credentialSecrets": bad}})
		assert.Error(t, err, "%q", bad)
	}
}

// seventeen lists 17 distinct valid Secret names.
func seventeen() []any {
	names := make([]any, 17)
	for i := range names {
		names[i] = fmt.Sprintf("secret-%d", i)
	}
	return names
}
