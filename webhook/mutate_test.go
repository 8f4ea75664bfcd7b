package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

func TestMutateLeavesInputAlone(t *testing.T) {
	pod, _ := loadPod(t, "deployment")
	before := pod.DeepCopy()
	cfg := testConfig()
	out, reason := Mutate(pod, pod.Namespace, &cfg)
	require.Equal(t, ReasonInjected, reason)
	require.NotNil(t, out)
	assert.True(t, equality.Semantic.DeepEqual(before, pod), "Mutate changed its input")
}

func TestMutateIsIdempotent(t *testing.T) {
	for _, native := range []bool{true, false} {
		cfg := testConfig()
		cfg.NativeSidecar = native
		pod, _ := loadPod(t, "deployment")
		once, reason := Mutate(pod, pod.Namespace, &cfg)
		require.Equal(t, ReasonInjected, reason)
		twice, reason := Mutate(once, once.Namespace, &cfg)
		assert.Equal(t, ReasonAlreadyInjected, reason, "native=%v", native)
		assert.Nil(t, twice)
	}
}

func TestMutateSidecar(t *testing.T) {
	cfg := testConfig()
	pod, _ := loadPod(t, "deployment")
	out, _ := Mutate(pod, pod.Namespace, &cfg)

	require.Len(t, out.Spec.InitContainers, 2)
	assert.Equal(t, "migrate", out.Spec.InitContainers[0].Name, "existing init containers keep their order")
	sc := out.Spec.InitContainers[1]
	require.NotNil(t, sc.RestartPolicy)
	assert.Equal(t, corev1.ContainerRestartPolicyAlways, *sc.RestartPolicy)
	assert.Len(t, out.Spec.Containers, 3)

	sec := sc.SecurityContext
	assert.Equal(t, int64(65532), *sec.RunAsUser)
	assert.True(t, *sec.RunAsNonRoot)
	assert.True(t, *sec.ReadOnlyRootFilesystem)
	assert.False(t, *sec.AllowPrivilegeEscalation)
	assert.Equal(t, []corev1.Capability{"ALL"}, sec.Capabilities.Drop)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sec.SeccompProfile.Type)

	env := map[string]corev1.EnvVar{}
	for _, e := range sc.Env {
		env[e.Name] = e
	}
	for name, path := range map[string]string{
		"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace", "POD_IP": "status.podIP",
		"POD_UID": "metadata.uid", "NODE_NAME": "spec.nodeName",
	} {
		require.Contains(t, env, name)
		assert.Equal(t, path, env[name].ValueFrom.FieldRef.FieldPath, name)
	}
	assert.Equal(t, "Deployment", env["MESHPROBE_OWNER_KIND"].Value)
	assert.Equal(t, "shop", env["MESHPROBE_OWNER_NAME"].Value)
	assert.Equal(t, "meshprobe-gossip.meshprobe-system.svc:14100", env["MESHPROBE_GOSSIP_JOIN"].Value)

	assert.Equal(t, "v0.0.0-test", out.Annotations["meshprobe.io/injected"])
	assert.Equal(t, "true", out.Labels["meshprobe.io/member"])

	vols := map[string]corev1.Volume{}
	for _, v := range out.Spec.Volumes {
		vols[v.Name] = v
	}
	require.Contains(t, vols, "meshprobe-gossip-key")
	assert.True(t, *vols["meshprobe-gossip-key"].Secret.Optional, "the gossip-key Secret must be optional")
	require.Contains(t, vols, "meshprobe-podinfo")
	assert.Len(t, vols["meshprobe-podinfo"].DownwardAPI.Items, 2)
}

func TestMutatePlainContainer(t *testing.T) {
	cfg := testConfig()
	cfg.NativeSidecar = false
	pod, _ := loadPod(t, "deployment")
	out, _ := Mutate(pod, pod.Namespace, &cfg)
	require.Len(t, out.Spec.Containers, 4)
	last := out.Spec.Containers[3]
	assert.Equal(t, "meshprobe-sidecar", last.Name)
	assert.Nil(t, last.RestartPolicy, "a plain container must not carry a container restartPolicy")
	assert.Len(t, out.Spec.InitContainers, 1)
}

func TestMutateOverrides(t *testing.T) {
	cfg := testConfig()
	cfg.GossipPort, cfg.HTTPPort, cfg.RunAsUser = 17946, 19095, 1000
	cfg.GossipJoin = "gossip.example:17946"
	pod, _ := loadPod(t, "bare")
	out, _ := Mutate(pod, pod.Namespace, &cfg)
	sc := out.Spec.InitContainers[0]
	assert.Equal(t, int32(17946), sc.Ports[0].ContainerPort)
	assert.Equal(t, int32(17946), sc.Ports[1].ContainerPort)
	assert.Equal(t, corev1.ProtocolUDP, sc.Ports[1].Protocol)
	assert.Equal(t, int32(19095), sc.Ports[2].ContainerPort)
	assert.Equal(t, int64(1000), *sc.SecurityContext.RunAsUser)
	assert.Contains(t, sc.Env, corev1.EnvVar{Name: "MESHPROBE_GOSSIP_PORT", Value: "17946"})
	assert.Contains(t, sc.Env, corev1.EnvVar{Name: "MESHPROBE_GOSSIP_JOIN", Value: "gossip.example:17946"})
}

// TestMutateKeepsExistingContainers pins the property the patch computation
// relies on: the pod's own containers come out unchanged and in place.
func TestMutateKeepsExistingContainers(t *testing.T) {
	for _, name := range []string{"deployment", "statefulset", "bare", "default-ports", "checks-valid", "sidecar-secret"} {
		for _, native := range []bool{true, false} {
			cfg := testConfig()
			cfg.NativeSidecar = native
			pod, _ := loadPod(t, name)
			out, reason := Mutate(pod, pod.Namespace, &cfg)
			require.Equal(t, ReasonInjected, reason)
			assert.True(t, equality.Semantic.DeepEqual(pod.Spec.InitContainers, out.Spec.InitContainers[:len(pod.Spec.InitContainers)]), name)
			assert.True(t, equality.Semantic.DeepEqual(pod.Spec.Containers, out.Spec.Containers[:len(pod.Spec.Containers)]), name)
		}
	}
}
