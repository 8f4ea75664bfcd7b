//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// testAppImage runs the local cluster's built-in HTTP server; kind/e2e.sh builds and
// loads an image of that name too.
const testAppImage = "meshprobe.io/testapp:e2e"

// newNamespace creates a namespace (labelled for injection when inject is true),
// prints its pods, logs and metrics if the test fails, and deletes it afterwards.
func newNamespace(t *testing.T, inject bool) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := "e2e-" + strings.ToLower(strings.ReplaceAll(t.Name(), "_", "-"))
	if len(name) > 40 {
		name = name[:40]
	}
	name = strings.TrimRight(name, "-") + "-" + hex.EncodeToString(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if inject {
		ns.Labels = map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}
	}
	_, err := suite.client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = suite.client.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	t.Cleanup(func() {
		if t.Failed() {
			dumpNamespace(t, name)
			dumpNamespace(t, contract.DefaultNamespace)
		}
	})
	return name
}

// appSpec describes a test-app Deployment.
type appSpec struct {
	name     string
	replicas int32
	checks   string // meshprobe.io/checks annotation
	image    string // default testAppImage
	spread   bool   // one pod per node (required anti-affinity)
	labels   map[string]string
}

func deployApp(t *testing.T, ns string, a appSpec) *appsv1.Deployment {
	t.Helper()
	labels := map[string]string{"app": a.name}
	podLabels := map[string]string{"app": a.name, contract.LabelApp: a.name}
	for k, v := range a.labels {
		podLabels[k] = v
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: a.name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(a.replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec:       appPodSpec(a, labels),
			},
		},
	}
	if a.checks != "" {
		d.Spec.Template.Annotations = map[string]string{contract.AnnotationChecks: a.checks}
	}
	out, err := suite.client.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{})
	require.NoError(t, err)
	return out
}

func appPodSpec(a appSpec, labels map[string]string) corev1.PodSpec {
	image := a.image
	if image == "" {
		image = testAppImage
	}
	spec := corev1.PodSpec{
		TerminationGracePeriodSeconds: ptr.To[int64](5),
		Containers: []corev1.Container{{
			Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/healthz", Port: intstr.FromString("http"),
			}}, PeriodSeconds: 2},
		}},
	}
	if a.spread {
		spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: labels}, TopologyKey: "kubernetes.io/hostname",
			}},
		}}
	}
	return spec
}

// waitReadyPods waits for n Running and Ready pods matching selector.
func waitReadyPods(t *testing.T, ns, selector string, n int, timeout time.Duration) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		list, err := suite.client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: selector})
		require.NoError(c, err)
		var ready []corev1.Pod
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && podReady(&p) {
				ready = append(ready, p)
			}
		}
		require.Len(c, ready, n, "ready pods matching %s in %s", selector, ns)
		pods = ready
	}, timeout, 500*time.Millisecond)
	return pods
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// proxyGet fetches path from a pod's port through the apiserver's pod proxy, which
// works the same on the local cluster and on kind.
func proxyGet(ctx context.Context, ns, pod string, port int, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return suite.client.CoreV1().RESTClient().Get().Namespace(ns).Resource("pods").
		Name(pod + ":" + strconv.Itoa(port)).SubResource("proxy").Suffix(path).DoRaw(ctx)
}

// membersView is the JSON of the sidecar's /api/v1/members. By default it lists
// the members of the pod's own namespace and counts the whole mesh.
type membersView struct {
	Self   string        `json:"self"`
	Status gossip.Status `json:"status"`
	Counts struct {
		ByState    map[string]int `json:"byState"`
		LiveByRole map[string]int `json:"liveByRole"`
	} `json:"counts"`
	Members []gossip.Member `json:"members"`
}

func members(ctx context.Context, ns, pod string) (*membersView, error) {
	raw, err := proxyGet(ctx, ns, pod, contract.DefaultHTTPPort, "/api/v1/members")
	if err != nil {
		return nil, err
	}
	var v membersView
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decoding members of %s/%s: %w", ns, pod, err)
	}
	return &v, nil
}

func aliveByPod(v *membersView) map[string]bool {
	out := map[string]bool{}
	for _, m := range v.Members {
		if m.State == "alive" {
			out[m.Meta.Namespace+"/"+m.Meta.Pod] = true
		}
	}
	return out
}

// metrics returns the sidecar's /metrics lines that start with prefix.
func metrics(ctx context.Context, ns, pod, prefix string) ([]string, error) {
	raw, err := proxyGet(ctx, ns, pod, contract.DefaultHTTPPort, "/metrics")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range splitLines(string(raw)) {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out, nil
}

// metricValue finds the sample of name whose labels include every want pair.
func metricValue(lines []string, name string, want map[string]string) (float64, bool) {
	for _, l := range lines {
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		ok := true
		for k, v := range want {
			if !strings.Contains(l, k+`="`+v+`"`) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err == nil {
			return f, true
		}
	}
	return 0, false
}

// dumpNamespace logs every pod's spec and status, its containers' last log lines and
// the sidecar's meshprobe metrics.
func dumpNamespace(t *testing.T, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pods, err := suite.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Logf("dump %s: %v", ns, err)
		return
	}
	for _, p := range pods.Items {
		y, _ := yaml.Marshal(p)
		t.Logf("---- pod %s/%s:\n%s", ns, p.Name, y)
		for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
			logs, err := suite.client.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, TailLines: ptr.To[int64](40)}).DoRaw(ctx)
			t.Logf("---- logs %s/%s[%s] (err %v):\n%s", ns, p.Name, c.Name, err, logs)
			if c.Name == contract.SidecarContainerName {
				m, err := metrics(ctx, ns, p.Name, "meshprobe_")
				t.Logf("---- metrics %s/%s (err %v):\n%s", ns, p.Name, err, strings.Join(m, "\n"))
			}
		}
	}
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func hasSidecar(p *corev1.Pod) bool {
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name == contract.SidecarContainerName {
			return true
		}
	}
	return false
}
