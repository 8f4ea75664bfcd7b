package controlloop

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

func TestTermStartsAndStops(t *testing.T) {
	env := testenv.Start(t)
	_, err := env.Client.CoreV1().Namespaces().Create(t.Context(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "term"}}, metav1.CreateOptions{})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	nsF, cmF := informers.NewSharedInformerFactory(env.Client, 0), informers.NewSharedInformerFactory(env.Client, 0)
	ns, cm := nsF.Core().V1().Namespaces(), cmF.Core().V1().ConfigMaps()
	term := Term{Factories: []informers.SharedInformerFactory{nsF, cmF}}
	recorder := term.Recorder(env.Client, "term-test")
	require.True(t, term.Start(ctx, ns.Informer().HasSynced, cm.Informer().HasSynced))
	nsObj, err := ns.Lister().Get("term")
	assert.NoError(t, err, "the cache holds what existed before Start")

	recorder.Event(nsObj, corev1.EventTypeNormal, "Tested", "the term's recorder writes Events")
	require.Eventually(t, func() bool {
		events, err := env.Client.CoreV1().Events("default").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, e := range events.Items {
			if e.Reason == "Tested" && e.Source.Component == "term-test" && e.InvolvedObject.Name == "term" {
				return true
			}
		}
		return false
	}, 10*time.Second, 100*time.Millisecond, "the Event reaches the API with the term's component")

	cancel()
	stopped := make(chan struct{})
	go func() {
		term.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return after the context ended")
	}
	assert.True(t, ns.Informer().IsStopped())
	assert.True(t, cm.Informer().IsStopped())
}

func TestTermStartGivesUpWhenContextEnds(t *testing.T) {
	// Nothing listens there: the cache never syncs.
	kube := kubernetes.NewForConfigOrDie(&rest.Config{Host: "http://127.0.0.1:1"})
	f := informers.NewSharedInformerFactory(kube, 0)
	inf := f.Core().V1().Pods().Informer()
	term := Term{Factories: []informers.SharedInformerFactory{f}} // no broadcaster: Stop skips it
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	assert.False(t, term.Start(ctx, inf.HasSynced))
	term.Stop()
	assert.True(t, inf.IsStopped())
}
