package controlplane

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
	localcp "github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestIntegration runs the real meshprobe-webhook in-process against a real
// kube-apiserver and etcd, registers the MutatingWebhookConfiguration from
// manifests/base (pointed at the in-process server), and checks what the
// apiserver stored. (The manifests' own apiserver tests are in manifests/.)
func TestIntegration(t *testing.T) {
	env := testenv.Start(t)
	ca, err := localcp.NewCA("meshprobe-webhook-test-ca", time.Hour)
	require.NoError(t, err)
	// The webhook alone: the control-plane role (gossip member, Lease election) has
	// tests of its own.
	wh := startWebhook(t, ca, "--kubeconfig", env.KubeconfigPath, "--native-sidecar=auto",
		"--leader-elect=false", "--gossip=false")
	registerWebhook(t, env.Client, wh.webhookURL, ca.CertPEM)

	testInjection(t, env, wh)
}

// registerWebhook installs manifests/base/mutatingwebhook.yaml with its
// clientConfig pointed at url, and waits until the apiserver calls it.
func registerWebhook(t *testing.T, client kubernetes.Interface, url string, caPEM []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "manifests", "base", "mutatingwebhook.yaml"))
	require.NoError(t, err)
	var cfg admissionregistrationv1.MutatingWebhookConfiguration
	require.NoError(t, yaml.UnmarshalStrict(data, &cfg))
	cfg.Name = "meshprobe-test"
	for i := range cfg.Webhooks {
		cfg.Webhooks[i].ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: ptr.To(url), CABundle: caPEM}
	}
	_, err = client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(t.Context(), &cfg, metav1.CreateOptions{})
	require.NoError(t, err)

	// The apiserver picks up webhook configurations asynchronously: probe with
	// dry-run pods until one comes back injected.
	ns := createNamespace(t, client, "probe", map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}, nil)
	require.Eventually(t, func() bool {
		pod, err := client.CoreV1().Pods(ns).Create(t.Context(), appPod("probe", nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && pod.Labels[contract.LabelMember] == "true"
	}, 30*time.Second, 200*time.Millisecond, "the apiserver never called the webhook")
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string, labels map[string]string, annotations map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
	_, err := client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{})
	require.NoError(t, err)
	ensureDefaultServiceAccount(t, client, name)
	return name
}

// ensureDefaultServiceAccount creates the "default" ServiceAccount that
// kube-controller-manager would, so the ServiceAccount admission plugin admits pods.
func ensureDefaultServiceAccount(t *testing.T, client kubernetes.Interface, namespace string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	_, err := client.CoreV1().ServiceAccounts(namespace).Create(t.Context(), sa, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		require.NoError(t, err)
	}
}

// appPod is a pod that passes the "restricted" Pod Security Standard.
func appPod(name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To(int64(1000)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example.com/app:1.0",
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// warningCollector records the admission warnings the apiserver passes on.
type warningCollector struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningCollector) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warningCollector) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

func sidecarOf(pod *corev1.Pod) *corev1.Container {
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == contract.SidecarContainerName {
				return &list[i]
			}
		}
	}
	return nil
}

func countSidecars(pod *corev1.Pod) int {
	n := 0
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.Name == contract.SidecarContainerName {
			n++
		}
	}
	return n
}

func testInjection(t *testing.T, env *testenv.Env, wh *running) {
	warnings := &warningCollector{}
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = warnings
	client, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)

	restricted := map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}
	enabled := map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled, "pod-security.kubernetes.io/enforce": "restricted"}
	optedIn := createNamespace(t, env.Client, "shop", enabled, nil)
	plain := createNamespace(t, env.Client, "plain", restricted, nil)
	own := createNamespace(t, env.Client, "meshprobe-system", map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}, nil)
	ensureDefaultServiceAccount(t, env.Client, "default")
	ensureDefaultServiceAccount(t, env.Client, "kube-system")
	podTrue := map[string]string{contract.LabelInject: "true"}
	podFalse := map[string]string{contract.LabelInject: "false"}

	hostNet := appPod("hostnet", podTrue)
	hostNet.Spec.HostNetwork = true
	owned := appPod("web-7d9c6b5f4-abcde", map[string]string{"pod-template-hash": "7d9c6b5f4"})
	owned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9c6b5f4",
		UID: "4b7c1d2e-0000-4000-8000-000000000001", Controller: ptr.To(true)}}
	badChecks := appPod("bad-checks", nil)
	badChecks.Annotations = map[string]string{contract.AnnotationChecks: "- name: api\n  type: http\n  url: http://localhost:8080/\n  expectStatus: \"[2\"\n"}

	tests := []struct {
		name, namespace string
		pod             *corev1.Pod
		injected        bool
		warning         string
	}{
		{"namespace opt-in", optedIn, appPod("app", nil), true, ""},
		{"namespace opt-in, pod opts out", optedIn, appPod("out", podFalse), false, ""},
		{"pod opt-in in a plain namespace", plain, appPod("in", podTrue), true, ""},
		{"plain namespace, no label", plain, appPod("nothing", nil), false, ""},
		{"kube-system with pod opt-in", "kube-system", appPod("sys", podTrue), false, ""},
		{"meshprobe's own namespace, labelled", own, appPod("own", nil), false, ""},
		{"hostNetwork with pod opt-in", "default", hostNet, false, "sidecar not injected: pod uses hostNetwork"},
		{"owned by a Deployment's ReplicaSet", optedIn, owned, true, ""},
		{"invalid checks annotation", optedIn, badChecks, true, `check "api": field "expectStatus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings.take()
			created, err := client.CoreV1().Pods(tt.namespace).Create(t.Context(), tt.pod, metav1.CreateOptions{})
			require.NoError(t, err)
			stored, err := env.Client.CoreV1().Pods(tt.namespace).Get(t.Context(), created.Name, metav1.GetOptions{})
			require.NoError(t, err)
			got := warnings.take()
			if tt.warning != "" {
				require.Len(t, got, 1)
				assert.Contains(t, got[0], tt.warning)
			} else {
				assert.Empty(t, got)
			}
			if !tt.injected {
				assert.Nil(t, sidecarOf(stored), "pod was injected")
				assert.NotContains(t, stored.Labels, contract.LabelMember)
				assert.NotContains(t, stored.Annotations, contract.AnnotationInjected)
				return
			}
			assertInjected(t, stored)
		})
	}

	t.Run("owner env", func(t *testing.T) {
		stored, err := env.Client.CoreV1().Pods(optedIn).Get(t.Context(), owned.Name, metav1.GetOptions{})
		require.NoError(t, err)
		env := sidecarOf(stored).Env
		assert.Contains(t, env, corev1.EnvVar{Name: contract.EnvOwnerKind, Value: "Deployment"})
		assert.Contains(t, env, corev1.EnvVar{Name: contract.EnvOwnerName, Value: "web"})
	})

	t.Run("second pass unchanged", func(t *testing.T) {
		// Send an already injected pod through admission again, as a reinvocation
		// or a re-created pod would: the stored spec must equal the one sent.
		first, err := env.Client.CoreV1().Pods(optedIn).Get(t.Context(), "app", metav1.GetOptions{})
		require.NoError(t, err)
		again := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app-again", Labels: first.Labels, Annotations: first.Annotations},
			Spec: *first.Spec.DeepCopy()}
		again.Spec.NodeName = ""
		before := admissions(t, wh, "already-injected", "skipped")
		stored, err := env.Client.CoreV1().Pods(optedIn).Create(t.Context(), again, metav1.CreateOptions{})
		require.NoError(t, err)
		assert.Equal(t, 1, countSidecars(stored))
		assert.Equal(t, first.Spec.InitContainers, stored.Spec.InitContainers)
		assert.Equal(t, first.Spec.Containers, stored.Spec.Containers)
		assert.Equal(t, first.Spec.Volumes, stored.Spec.Volumes)
		assert.Equal(t, before+1, admissions(t, wh, "already-injected", "skipped"), "one admission, no patch, no reinvocation")
	})

	t.Run("metrics", func(t *testing.T) {
		assert.Equal(t, 1, admissions(t, wh, "invalid-checks", "injected"))
		assert.Equal(t, 1, admissions(t, wh, "host-network", "skipped"))
		// Only the deliberate second pass above. With the sidecar's own mount at
		// the token path the ServiceAccount plugin leaves the injected pod alone,
		// so the apiserver does not call the webhook again after an injection.
		assert.Equal(t, 1, admissions(t, wh, "already-injected", "skipped"), "reinvoked after injection")
	})
}

// assertInjected checks a stored pod carries exactly one native sidecar (the test
// apiserver is 1.37, so --native-sidecar=auto must choose it) and its trimmings.
func assertInjected(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	require.Equal(t, 1, countSidecars(pod))
	sc := sidecarOf(pod)
	require.NotNil(t, sc.RestartPolicy, "expected a native sidecar on a 1.37 apiserver")
	assert.Equal(t, corev1.ContainerRestartPolicyAlways, *sc.RestartPolicy)
	assert.Equal(t, "true", pod.Labels[contract.LabelMember])
	assert.NotEmpty(t, pod.Annotations[contract.AnnotationInjected])
	names := map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		names[v.Name] = true
	}
	assert.True(t, names[contract.PodInfoVolumeName] && names[contract.GossipKeyVolumeName], "volumes: %v", names)
	ports := map[string]int32{}
	for _, p := range sc.Ports {
		ports[p.Name+"/"+string(p.Protocol)] = p.ContainerPort
	}
	assert.Equal(t, map[string]int32{"meshprobe-gtcp/TCP": 14100, "meshprobe-gudp/UDP": 14100, "meshprobe-http/TCP": 14101}, ports)
	// The ServiceAccount admission plugin mounted the app's token into the app,
	// and not into the sidecar, which has its empty volume at that path.
	assert.NotEqual(t, "", mountAt(pod.Spec.Containers[0], contract.ServiceAccountTokenDir), "the app has no token: is the ServiceAccount plugin on?")
	assert.Equal(t, contract.NoTokenVolumeName, mountAt(*sc, contract.ServiceAccountTokenDir), "the sidecar got a ServiceAccount token")
}

// mountAt returns the name of the volume c mounts at path, or "".
func mountAt(c corev1.Container, path string) string {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return m.Name
		}
	}
	return ""
}

// admissions reads meshprobe_webhook_admissions_total{reason,result} from /metrics.
func admissions(t *testing.T, wh *running, reason, result string) int {
	t.Helper()
	prefix := fmt.Sprintf("meshprobe_webhook_admissions_total{reason=%q,result=%q} ", reason, result)
	for line := range strings.SplitSeq(get(t, wh.metricsURL), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			n, err := strconv.Atoi(v)
			require.NoError(t, err, line)
			return n
		}
	}
	t.Fatalf("no series %s", prefix)
	return 0
}
