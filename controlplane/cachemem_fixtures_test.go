package controlplane

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// clusterShape is the cluster BenchmarkControlPlaneMemory fills: namespaces,
// each with deployments of replicas pods; every injectedEvery-th namespace has
// injection enabled and its pods carry the sidecar.
type clusterShape struct {
	namespaces, deployments, replicas, injectedEvery, workers int
}

func (s clusterShape) pods() int { return s.namespaces * s.deployments * s.replicas }

// benchNamespace names namespace i; injected reports whether injection is enabled in it.
func (s clusterShape) benchNamespace(i int) (name string, injected bool) {
	return fmt.Sprintf("team-%03d", i), i%s.injectedEvery == 0
}

// fill creates the namespaces, Deployments and pods with workers in parallel,
// then writes the statuses that the controllers and kubelets would (none run
// here): Deployments available, pods Running and Ready on a node.
func (s clusterShape) fill(tb testing.TB, ctx context.Context, client kubernetes.Interface) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan func() error)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Go(func() {
			for job := range jobs {
				if ctx.Err() == nil {
					if err := job(); err != nil {
						cancel(err) // the first error stops the rest
					}
				}
			}
		})
	}
	for i := range s.namespaces {
		ns, injected := s.benchNamespace(i)
		if ctx.Err() != nil {
			break
		}
		if err := createBenchNamespace(ctx, client, ns, injected); err != nil {
			cancel(err)
			break
		}
		for d := range s.deployments {
			jobs <- func() error { return createDeployment(ctx, client, ns, d, s.replicas) }
			for r := range s.replicas {
				jobs <- func() error { return createPod(ctx, client, ns, d, r, injected) }
			}
		}
	}
	close(jobs)
	wg.Wait()
	require.NoError(tb, context.Cause(ctx))
}

// createBenchNamespace creates the namespace and the "default" ServiceAccount that
// kube-controller-manager would, so the ServiceAccount admission plugin admits
// pods (and adds the kube-api-access volume, as in a real cluster).
func createBenchNamespace(ctx context.Context, client kubernetes.Interface, ns string, injected bool) error {
	labels := map[string]string{"team": ns}
	if injected {
		labels[contract.LabelInject] = contract.NamespaceInjectEnabled
	}
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating %s/default ServiceAccount: %w", ns, err)
	}
	return nil
}

const benchHash = "5d8f7c9b6"

func workloadName(d int) string { return fmt.Sprintf("app-%02d", d) }

func createDeployment(ctx context.Context, client kubernetes.Interface, ns string, d, replicas int) error {
	name := workloadName(d)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name},
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "3"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(replicas)), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: appSpec(name, false)},
		},
	}
	created, err := client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"})
	if err != nil {
		return fmt.Errorf("creating deployment %s/%s: %w", ns, name, err)
	}
	now := metav1.Now()
	r := int32(replicas)
	created.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: r, UpdatedReplicas: r, ReadyReplicas: r, AvailableReplicas: r,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
				Message: "Deployment has minimum availability.", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable",
				Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", name+"-"+benchHash), LastUpdateTime: now, LastTransitionTime: now},
		}}
	if _, err := client.AppsV1().Deployments(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: "kube-controller-manager"}); err != nil {
		return fmt.Errorf("deployment %s/%s status: %w", ns, name, err)
	}
	return nil
}

func createPod(ctx context.Context, client kubernetes.Interface, ns string, d, r int, injected bool) error {
	owner := workloadName(d)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%s-%05d", owner, benchHash, r), GenerateName: owner + "-" + benchHash + "-",
			Labels: map[string]string{"app": owner, appsv1.DefaultDeploymentUniqueLabelKey: benchHash},
			Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9090",
				"kubectl.kubernetes.io/restartedAt": "2026-01-02T03:04:05Z"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner + "-" + benchHash,
				UID: "6a1f0c2e-0000-4000-8000-000000000001", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Spec: appSpec(owner, injected),
	}
	pod.Spec.NodeName = fmt.Sprintf("node-%02d", r%50)
	if injected {
		pod.Labels[contract.LabelMember] = "true"
		pod.Annotations[contract.AnnotationInjected] = "sidecar"
	}
	created, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{FieldManager: "kube-controller-manager"})
	if err != nil {
		return fmt.Errorf("creating pod %s/%s: %w", ns, pod.Name, err)
	}
	created.Status = runningStatus(created, r)
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: "kubelet"}); err != nil {
		return fmt.Errorf("pod %s/%s status: %w", ns, pod.Name, err)
	}
	return nil
}

// appSpec is a typical application pod: an app container and a log shipper,
// with env, ports, probes, resources, mounts and volumes; with the sidecar
// (trimmed to its shape) when injected.
func appSpec(app string, injected bool) corev1.PodSpec {
	env := []corev1.EnvVar{
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
		{Name: "DATABASE_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: app + "-db"}, Key: "password"}}},
	}
	for i := range 9 {
		env = append(env, corev1.EnvVar{Name: fmt.Sprintf("APP_SETTING_%d", i), Value: fmt.Sprintf("https://service-%d.internal.example.com:8443/api/v1", i)})
	}
	res := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
	}
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
		PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3}
	spec := corev1.PodSpec{
		Containers: []corev1.Container{
			{Name: "app", Image: "registry.example.com/" + app + ":1.4.2", Env: env, Resources: res,
				Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}, {Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}},
				ReadinessProbe: probe, LivenessProbe: probe,
				VolumeMounts: []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}, {Name: "tls", MountPath: "/etc/tls", ReadOnly: true}, {Name: "cache", MountPath: "/var/cache/app"}}},
			{Name: "log-shipper", Image: "registry.example.com/fluent-bit:3.1", Env: env[:3], Resources: res,
				VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/var/log/app", ReadOnly: true}}},
		},
		Volumes: []corev1.Volume{
			{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: app + "-config"}}}},
			{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: app + "-tls"}}},
			{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
		Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(300))}},
	}
	if injected {
		spec.InitContainers = []corev1.Container{{Name: contract.SidecarContainerName, Image: "ghcr.io/meshprobe/meshprobe-sidecar:1.0.0",
			RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways), Env: env[:2], Resources: res,
			Ports: []corev1.ContainerPort{{Name: "gossip", ContainerPort: 7946}, {Name: "meshprobe-http", ContainerPort: 9102}}}}
	}
	return spec
}

// runningStatus is what a kubelet reports for a started, ready pod.
func runningStatus(p *corev1.Pod, r int) corev1.PodStatus {
	now := metav1.Now()
	ip := fmt.Sprintf("10.%d.%d.%d", 1+r/65536%200, r/256%256, r%256)
	st := corev1.PodStatus{Phase: corev1.PodRunning, HostIP: "192.168.0.10", PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		StartTime: &now, QOSClass: corev1.PodQOSBurstable}
	for _, t := range []corev1.PodConditionType{"PodReadyToStartContainers", corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled} {
		st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	status := func(c corev1.Container) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: c.Name, Ready: true, Started: ptr.To(true), Image: c.Image,
			ImageID:     c.Image + "@sha256:4f2a9c0d1e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7",
			ContainerID: "containerd://8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b",
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}
	}
	for _, c := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, status(c))
	}
	for _, c := range p.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, status(c))
	}
	return st
}
