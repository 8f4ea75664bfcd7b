package missedinjection

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

// BenchmarkPass10kPods measures one pass (run on every pod or namespace change)
// over a cluster of 10,000 pods in 100 namespaces, half of them with injection
// enabled, 5% of the pods missed (already reported: a steady-state pass makes no
// API call). Pods are trimmed as in the cache.
func BenchmarkPass10kPods(b *testing.B) {
	wcfg := webhook.DefaultConfig()
	reg := prometheus.NewRegistry()
	cfg := DefaultConfig()
	cfg.Webhook = &wcfg
	c, err := New(cfg, nil, slog.New(slog.DiscardHandler), reg)
	if err == nil || c != nil {
		b.Fatal("New without a client must fail") // the benchmark builds the runtime by hand
	}
	m, err := newGauge(reg, missedPodsName, missedPodsHelp)
	if err != nil {
		b.Fatal(err)
	}
	rt := &runtime{c: &Controller{cfg: cfg, log: slog.New(slog.DiscardHandler), metrics: m}, reported: map[types.UID]bool{}}
	podIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	nsIdx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for n := range 100 {
		ns := namespace(fmt.Sprintf("ns-%d", n), n%2 == 0)
		_ = nsIdx.Add(ns)
		for i := range 100 {
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p-%d", i), Namespace: ns.Name, UID: types.UID(fmt.Sprintf("%d-%d", n, i)),
				Labels: map[string]string{"app": "a"}, Annotations: map[string]string{"x": "y"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
			if ns.Labels[contract.LabelInject] != "" && i >= 10 {
				p.Spec.InitContainers = []corev1.Container{{Name: contract.SidecarContainerName}}
			} else if i < 10 {
				rt.reported[p.UID] = true
			}
			trimmed, _ := trimPod(p)
			_ = podIdx.Add(trimmed)
		}
	}
	rt.pods, rt.namespaces = listerv1.NewPodLister(podIdx), listerv1.NewNamespaceLister(nsIdx)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.pass(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := len(rt.reported); got != 500 {
		b.Fatalf("%d missed pods, want 500", got)
	}
}
