package monitoring

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// controlPlaneDeployment is the control plane's Deployment in the base manifests.
const controlPlaneDeployment = "../base/deployment.yaml"

// How the control plane's pods are found: the labels and the metrics port name of the
// meshprobe-webhook Deployment in manifests/base.
const controlPlaneMetricsPort = "metrics"

var controlPlaneSelector = map[string]string{"app.kubernetes.io/name": "meshprobe-webhook"}

// controlPlanePodTemplate reads the pod template of the shipped control-plane
// Deployment, so the test's control-plane Pod has its real labels and ports.
func controlPlanePodTemplate(t *testing.T) corev1.PodTemplateSpec {
	t.Helper()
	var d appsv1.Deployment
	require.NoError(t, yaml.Unmarshal(readFile(t, controlPlaneDeployment), &d))
	require.Equal(t, "Deployment", d.Kind)
	require.NotEmpty(t, d.Spec.Template.Spec.Containers)
	return d.Spec.Template
}

// containerPort returns the number of the named port of the template's first
// container.
func containerPort(t *testing.T, tmpl corev1.PodTemplateSpec, name string) int32 {
	t.Helper()
	for _, p := range tmpl.Spec.Containers[0].Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("%s: no container port named %q", controlPlaneDeployment, name)
	return 0
}
