//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// TestAppOnSidecarPortsKeepsRunning: an app that listens on meshprobe's default
// ports (14100, 14101) and on memberlist's and Loki's (7946, 9095) keeps running
// with no restart; its sidecar moves to free ports, joins the mesh there and is
// reached on its own HTTP port.
func TestAppOnSidecarPortsKeepsRunning(t *testing.T) {
	ns := newNamespace(t, true)
	var containers []corev1.Container
	for _, port := range []int32{7946, 9095, contract.DefaultGossipPort, contract.DefaultHTTPPort} {
		containers = append(containers, corev1.Container{
			Name: fmt.Sprintf("listen-%d", port), Image: testAppImage, ImagePullPolicy: corev1.PullIfNotPresent,
			Args:  []string{fmt.Sprintf("--listen=:%d", port)},
			Ports: []corev1.ContainerPort{{ContainerPort: port, Protocol: corev1.ProtocolTCP}, {ContainerPort: port, Protocol: corev1.ProtocolUDP}},
		})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "portful", Namespace: ns, Labels: map[string]string{"app": "portful"}},
		Spec:       corev1.PodSpec{TerminationGracePeriodSeconds: ptr.To[int64](5), Containers: containers},
	}
	_, err := suite.client.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{})
	require.NoError(t, err)

	got := waitReadyPods(t, ns, "app=portful", 1, 3*time.Minute)[0]
	require.True(t, hasSidecar(&got), "the pod is injected")
	gossipPort, httpPort := sidecarPorts(t, &got)
	assert.NotContains(t, []int32{7946, 9095, contract.DefaultGossipPort, contract.DefaultHTTPPort}, gossipPort)
	assert.NotContains(t, []int32{7946, 9095, contract.DefaultGossipPort, contract.DefaultHTTPPort}, httpPort)
	for _, st := range got.Status.ContainerStatuses {
		assert.Zero(t, st.RestartCount, "container %s restarted: the sidecar took its port", st.Name)
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		raw, err := proxyGet(t.Context(), ns, got.Name, int(httpPort), "/api/v1/members")
		require.NoError(c, err)
		var v membersView
		require.NoError(c, json.Unmarshal(raw, &v))
		assert.False(c, v.Status.Alone, "the sidecar on port %d joined the mesh", gossipPort)
	}, 2*time.Minute, time.Second)
}

// TestAuthenticatedCheckWithPodSecret: meshprobe.io/sidecar mounts the pod's
// Secret volume into the sidecar; the check with its passwordFile passes, the
// same check without credentials fails.
func TestAuthenticatedCheckWithPodSecret(t *testing.T) {
	ns := newNamespace(t, true)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "probe-credentials", Namespace: ns},
		StringData: map[string]string{"password": "s3cret"},
	}
	_, err := suite.client.CoreV1().Secrets(ns).Create(t.Context(), secret, metav1.CreateOptions{})
	require.NoError(t, err)
	spec := appPodSpec(appSpec{name: "authn"}, nil)
	spec.Volumes = []corev1.Volume{{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "probe-credentials"}}}}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "authn", Namespace: ns, Labels: map[string]string{"app": "authn"},
			Annotations: map[string]string{
				contract.AnnotationSidecar: "volumeMounts:\n- {name: creds, mountPath: /etc/probe}\n",
				contract.AnnotationChecks: `
- name: with-secret
  type: http
  interval: 2s
  url: http://localhost:8080/basic-auth/probe/s3cret
  basicAuth: {username: probe, passwordFile: /etc/probe/password}
- name: without-secret
  type: http
  interval: 2s
  url: http://localhost:8080/basic-auth/probe/s3cret
`,
			}},
		Spec: spec,
	}
	_, err = suite.client.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{})
	require.NoError(t, err)
	got := waitReadyPods(t, ns, "app=authn", 1, 3*time.Minute)[0]
	_, httpPort := sidecarPorts(t, &got)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		results, err := checkResults(t.Context(), ns, got.Name, int(httpPort))
		require.NoError(c, err)
		assert.Equal(c, "success", results["with-secret"].LastResult, results["with-secret"].Error)
		assert.Equal(c, "failure", results["without-secret"].LastResult)
	}, 2*time.Minute, time.Second)
}

// TestInjectedJobCompletes: a Job's pod gets the sidecar (native) and the Job
// completes when its own container exits.
func TestInjectedJobCompletes(t *testing.T) {
	ns := newNamespace(t, true)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "report", Namespace: ns},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:                 corev1.RestartPolicyNever,
				TerminationGracePeriodSeconds: ptr.To[int64](5),
				Containers: []corev1.Container{{
					Name: "report", Image: testAppImage, ImagePullPolicy: corev1.PullIfNotPresent,
					Args: []string{"--exit-after=5s"},
				}},
			}},
		},
	}
	_, err := suite.client.BatchV1().Jobs(ns).Create(t.Context(), job, metav1.CreateOptions{})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		j, err := suite.client.BatchV1().Jobs(ns).Get(t.Context(), "report", metav1.GetOptions{})
		require.NoError(c, err)
		assert.True(c, jobCondition(j, batchv1.JobComplete), "job complete; status %+v", j.Status)
		assert.False(c, jobCondition(j, batchv1.JobFailed), "job failed")
	}, 3*time.Minute, time.Second)
	pods, err := suite.client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "job-name=report"})
	require.NoError(t, err)
	require.NotEmpty(t, pods.Items)
	assert.True(t, hasSidecar(&pods.Items[0]), "the Job's pod was injected (a native sidecar)")
}

// sidecarPorts returns the gossip and HTTP ports of the pod's sidecar.
func sidecarPorts(t *testing.T, p *corev1.Pod) (gossipPort, httpPort int32) {
	t.Helper()
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name != contract.SidecarContainerName {
			continue
		}
		for _, port := range c.Ports {
			switch port.Name {
			case contract.PortNameGossipTCP:
				gossipPort = port.ContainerPort
			case contract.PortNameHTTP:
				httpPort = port.ContainerPort
			}
		}
	}
	require.NotZero(t, gossipPort, "sidecar gossip port")
	require.NotZero(t, httpPort, "sidecar HTTP port")
	return gossipPort, httpPort
}

// checkResults returns the pod's checks by name, from the sidecar on httpPort.
func checkResults(ctx context.Context, ns, pod string, httpPort int) (map[string]checks.Status, error) {
	raw, err := proxyGet(ctx, ns, pod, httpPort, "/api/v1/checks")
	if err != nil {
		return nil, err
	}
	var rep checks.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, err
	}
	out := map[string]checks.Status{}
	for _, st := range rep.Checks {
		out[st.Name] = st
	}
	return out, nil
}

func jobCondition(j *batchv1.Job, typ batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == typ && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
