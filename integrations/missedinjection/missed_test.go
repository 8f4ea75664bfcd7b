package missedinjection

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

func namespace(name string, enabled bool) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if enabled {
		ns.Labels = map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}
	}
	return ns
}

func pod(mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "apps"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}, Status: corev1.PodStatus{Phase: corev1.PodPending}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func TestMissed(t *testing.T) {
	cfg := webhook.DefaultConfig()
	enabled, plain := namespace("apps", true), namespace("apps", false)
	gone := namespace("apps", true)
	gone.DeletionTimestamp = &metav1.Time{}
	label := func(v string) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Labels = map[string]string{contract.LabelInject: v} }
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		ns   *corev1.Namespace
		want bool
	}{
		{"namespace opt-in, no sidecar", pod(), enabled, true},
		{"pod opt-in in a plain namespace", pod(label("true")), plain, true},
		{"plain pod, plain namespace", pod(), plain, false},
		{"pod opt-out wins", pod(label("false")), enabled, false},
		{"injected as a native sidecar", pod(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: contract.SidecarContainerName}}
		}), enabled, false},
		{"injected as a container", pod(func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: contract.SidecarContainerName})
		}), enabled, false},
		{"host network", pod(func(p *corev1.Pod) { p.Spec.HostNetwork = true }), enabled, false},
		{"excluded namespace", pod(), namespace("kube-system", true), false},
		{"mirror pod", pod(func(p *corev1.Pod) { p.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"} }), enabled, false},
		{"finished", pod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }), enabled, false},
		{"failed", pod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }), enabled, false},
		{"terminating", pod(func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} }), enabled, false},
		{"namespace terminating", pod(), gone, false},
		{"namespace unknown", pod(), nil, false},
		// The webhook's skips that keep injection from breaking a pod are not missed.
		{"windows", pod(func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: corev1.Windows} }), enabled, false},
		{"foreign volume", pod(func(p *corev1.Pod) { p.Spec.Volumes = []corev1.Volume{{Name: contract.PodInfoVolumeName}} }), enabled, false},
		{"no free port", pod(func(p *corev1.Pod) {
			for port := int32(contract.DefaultGossipPort); port <= contract.DefaultPortRangeLast; port++ {
				p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, corev1.ContainerPort{ContainerPort: port})
			}
		}), enabled, false},
		{"default ports taken, fallback free", pod(func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: contract.DefaultGossipPort}}
		}), enabled, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ns != nil {
				tt.pod.Namespace = tt.ns.Name
			}
			assert.Equal(t, tt.want, Missed(tt.pod, tt.ns, &cfg))
		})
	}
}

// TestTrimPodKeepsTheDecision: the trimmed pods the cache holds get the same
// answer as the full pods, over the webhook's own pod fixtures.
func TestTrimPodKeepsTheDecision(t *testing.T) {
	cfg := webhook.DefaultConfig()
	files, err := filepath.Glob("../../webhook/testdata/pods/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files, "the webhook's pod fixtures")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			var p corev1.Pod
			require.NoError(t, yaml.Unmarshal(b, &p))
			trimmed, err := trimPod(&p)
			require.NoError(t, err)
			tp := trimmed.(*corev1.Pod)
			for _, enabled := range []bool{true, false} {
				ns := namespace(p.Namespace, enabled)
				assert.Equal(t, Missed(&p, ns, &cfg), Missed(tp, ns, &cfg), "namespace enabled=%v", enabled)
			}
			assert.Equal(t, webhook.OwnerOf(&p), webhook.OwnerOf(tp))
			assert.NotContains(t, tp.Annotations, contract.AnnotationChecks)
		})
	}
}

func TestCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	c, err := newGauge(reg, missedPodsName, missedPodsHelp)
	require.NoError(t, err)
	c.Set(map[string]int{"apps": 2, "quiet": 0})
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP meshprobe_webhook_missed_pods Pods running without the meshprobe sidecar although injection selects them (created while the webhook was unreachable, or before injection was enabled), by namespace. Exported by the leader only.
# TYPE meshprobe_webhook_missed_pods gauge
meshprobe_webhook_missed_pods{namespace="apps"} 2
meshprobe_webhook_missed_pods{namespace="quiet"} 0
`)))
	c.Set(nil)
	n, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	assert.Zero(t, n, "a follower exports nothing")
}

func TestConfigValidate(t *testing.T) {
	wh := webhook.DefaultConfig()
	for name, mutate := range map[string]func(*Config){
		"no webhook config":  func(c *Config) { c.Webhook = nil },
		"unknown repair":     func(c *Config) { c.Repair = "delete" },
		"zero interval":      func(c *Config) { c.RepairInterval = 0 },
		"negative cooldown":  func(c *Config) { c.RepairCooldown = -time.Second },
		"no restart allowed": func(c *Config) { c.RepairMaxRestarts = 0 },
		"zero window":        func(c *Config) { c.RepairWindow = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.Webhook = &wh
			mutate(&c)
			assert.Error(t, c.Validate())
		})
	}
	c := DefaultConfig()
	c.Webhook = &wh
	require.NoError(t, c.Validate())
	assert.Equal(t, RepairOff, c.Repair, "repair is off by default")
}
