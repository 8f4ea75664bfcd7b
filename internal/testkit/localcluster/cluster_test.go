package localcluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/kubelet"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podexec"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/testapp"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// The test binary is its own pod-exec helper and test app.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case podexec.Subcommand:
			os.Exit(podexec.Main(os.Args[2:], os.Stderr))
		case kubelet.TestAppSubcommand:
			os.Exit(testapp.Main(os.Args[2:], os.Stderr))
		}
	}
	os.Exit(m.Run())
}

func startCluster(t *testing.T, network string) *localcluster.Cluster {
	t.Helper()
	assets := testenv.Assets(t)
	if network == localcluster.NetworkNetns && os.Geteuid() != 0 {
		t.Skip("localcluster: netns networking needs root")
	}
	dir, err := os.MkdirTemp("", "localcluster-test-")
	require.NoError(t, err)
	var logs strings.Builder
	c, err := localcluster.Start(t.Context(), localcluster.Config{
		K8sBinDir: assets, BinDir: t.TempDir(), Helper: os.Args[0], Dir: dir, Network: network,
		NodeKind:    localcluster.NodesProcess,
		ClusterCIDR: "10.247.0.0/16",
		Logger:      slog.New(slog.NewTextHandler(&lockedWriter{b: &logs}, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			t.Logf("cluster log:\n%s", logs.String())
		}
		_ = os.RemoveAll(dir)
	})
	return c
}

// Pods of a Deployment spread over both Nodes run as processes with pod IPs, report
// Ready, appear in EndpointSlices and cluster DNS, see their Downward API files change
// with their labels, serve logs through the apiserver, and stop when deleted.
func TestClusterRunsPods(t *testing.T) {
	c := startCluster(t, localcluster.NetworkNetns)
	ctx := t.Context()
	ns := "apps"
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	createWeb(t, c, ns)

	var pods []corev1.Pod
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		list, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		require.NoError(ct, err)
		require.Len(ct, list.Items, 2)
		for _, p := range list.Items {
			require.Equal(ct, corev1.PodRunning, p.Status.Phase, "pod %s", p.Name)
			require.True(ct, podReady(&p), "pod %s ready", p.Name)
		}
		pods = list.Items
	}, 90*time.Second, 250*time.Millisecond)
	assert.NotEqual(t, pods[0].Spec.NodeName, pods[1].Spec.NodeName, "anti-affinity spreads the pods over both nodes")
	ips := []string{pods[0].Status.PodIP, pods[1].Status.PodIP}

	t.Run("pods answer on their IPs", func(t *testing.T) {
		for _, ip := range ips {
			body := httpGet(t, fmt.Sprintf("http://%s:8080/", ip))
			assert.Contains(t, body, "meshprobe testapp on web-")
		}
	})
	t.Run("cluster DNS answers from EndpointSlices", func(t *testing.T) {
		require.EventuallyWithT(t, func(ct *assert.CollectT) {
			got := lookupA(ct, c.DNSAddr, "web."+ns+".svc.cluster.local.")
			assert.ElementsMatch(ct, ips, got)
		}, 30*time.Second, 250*time.Millisecond)
	})
	t.Run("env and downward API files as declared, updated with the labels", func(t *testing.T) {
		p := pods[0]
		var env map[string]string
		require.NoError(t, json.Unmarshal([]byte(httpGet(t, "http://"+p.Status.PodIP+":8080/env")), &env))
		assert.Equal(t, p.Name, env["MY_POD"])
		assert.Equal(t, p.Status.PodIP, env["MY_IP"])
		assert.Equal(t, "web-"+p.Spec.NodeName, env["EXPANDED"])
		assert.Equal(t, p.Name, env["HOSTNAME"])
		labelsURL := "http://" + p.Status.PodIP + ":8080/files/etc/podinfo/labels"
		assert.Contains(t, httpGet(t, labelsURL), `app="web"`)
		patch := []byte(`{"metadata":{"labels":{"color":"blue"}}}`)
		_, err := c.Client.CoreV1().Pods(ns).Patch(ctx, p.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		require.NoError(t, err)
		require.EventuallyWithT(t, func(ct *assert.CollectT) {
			assert.Contains(ct, httpGet(t, labelsURL), `color="blue"`)
		}, 20*time.Second, 200*time.Millisecond)
	})
	t.Run("kubectl logs goes through the node agent", func(t *testing.T) {
		raw, err := c.Client.CoreV1().Pods(ns).GetLogs(pods[0].Name, &corev1.PodLogOptions{Container: "app"}).DoRaw(ctx)
		require.NoError(t, err)
		assert.Contains(t, string(raw), "testapp listening")
	})
	t.Run("deleted pods stop and disappear", func(t *testing.T) {
		require.NoError(t, c.Client.CoreV1().Pods(ns).Delete(ctx, pods[0].Name, metav1.DeleteOptions{}))
		require.Eventually(t, func() bool {
			_, err := c.Client.CoreV1().Pods(ns).Get(ctx, pods[0].Name, metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		}, 40*time.Second, 200*time.Millisecond)
		_, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", ips[0]+":8080")
		assert.Error(t, err, "the deleted pod's server is gone")
	})
}

func createWeb(t *testing.T, c *localcluster.Cluster, ns string) {
	ctx := t.Context()
	labels := map[string]string{"app": "web"}
	_, err := c.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: labels,
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = c.Client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       webPodSpec(labels),
			},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func webPodSpec(labels map[string]string) corev1.PodSpec {
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	return corev1.PodSpec{
		Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: labels}, TopologyKey: "kubernetes.io/hostname",
			}},
		}},
		Containers: []corev1.Container{{
			Name: "app", Image: kubelet.TestAppImage,
			Args:  []string{"--serve-dir=/etc/podinfo"},
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			Env: []corev1.EnvVar{
				field("MY_POD", "metadata.name"), field("MY_IP", "status.podIP"), field("MY_NODE", "spec.nodeName"),
				{Name: "EXPANDED", Value: "web-$(MY_NODE)"},
			},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/healthz", Port: intOrString("http"),
			}}, PeriodSeconds: 2},
			VolumeMounts: []corev1.VolumeMount{{Name: "podinfo", MountPath: "/etc/podinfo", ReadOnly: true}},
		}},
		Volumes: []corev1.Volume{{Name: "podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}},
		}}}},
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func httpGet(t require.TestingT, url string) string {
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

func lookupA(t require.TestingT, server, name string) []string {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	resp, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, server)
	require.NoError(t, err)
	var ips []string
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			ips = append(ips, a.A.String())
		}
	}
	return ips
}

func intOrString(name string) intstr.IntOrString { return intstr.FromString(name) }

// lockedWriter lets the cluster's goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
