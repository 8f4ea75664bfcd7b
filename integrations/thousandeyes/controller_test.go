package thousandeyes

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

const waitFor = 30 * time.Second

func testConfig(url string) Config {
	o := DefaultConfig()
	o.APIURL, o.Token, o.ClusterName = url, "tok", "test-cluster"
	o.Debounce, o.RetryMin, o.RetryMax = 100*time.Millisecond, 200*time.Millisecond, time.Second
	o.RateWindow = time.Second
	return o
}

func configMap(ns, name, yaml string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "thousandeyes-tests"}},
		Data:       map[string]string{contract.ThousandEyesConfigKey: yaml},
	}
}

func testsYAML(extra string, names ...string) string {
	var b strings.Builder
	b.WriteString(extra + "httpTests:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - testName: %s\n    url: https://%s.example.com/\n    interval: 300\n    agents: [\"Singapore\"]\n", n, n)
	}
	return b.String()
}

func createNS(t *testing.T, kube kubernetes.Interface, names ...string) {
	t.Helper()
	for _, n := range names {
		createLabelledNS(t, kube, n, nil)
	}
}

func createLabelledNS(t *testing.T, kube kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	_, err := kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func fakeNames(fk *tefake.Server) map[string]tefake.Test {
	out := map[string]tefake.Test{}
	for _, t := range fk.Tests("") {
		out[t.TestName] = t
	}
	return out
}

// eventsFor returns "reason: message" of the Events on a ConfigMap.
func eventsFor(t *testing.T, kube kubernetes.Interface, ns, name string) []string {
	list, err := kube.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
	require.NoError(t, err)
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out
}

func hasEvent(events []string, reason, substr string) bool {
	for _, e := range events {
		if strings.HasPrefix(e, reason+":") && strings.Contains(e, substr) {
			return true
		}
	}
	return false
}

func TestControllerAgainstAPIServer(t *testing.T) {
	env := testenv.Start(t)
	kube := env.Client
	fk := tefake.New(tefake.Config{Token: "tok", Window: time.Second})
	srv := httptest.NewServer(fk)
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	cfg := testConfig(srv.URL + "/v7")
	cfg.Namespaces = []string{"blog", "broken"}
	ctl, err := New(cfg, kube, slog.New(slog.DiscardHandler), reg)
	require.NoError(t, err)
	require.Error(t, ctl.Healthy(), "not healthy before Run")

	createNS(t, kube, "blog", "broken")
	createLabelledNS(t, kube, "shop", map[string]string{NamespaceLabel: NamespaceLabelValue})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx) }()

	cms := kube.CoreV1().ConfigMaps("shop")
	_, err = cms.Create(t.Context(), configMap("shop", "te", testsYAML("prune: true\n", "front", "api")), metav1.CreateOptions{})
	require.NoError(t, err)
	unlabelled := configMap("blog", "ignored", testsYAML("", "nope"))
	unlabelled.Labels = nil
	_, err = kube.CoreV1().ConfigMaps("blog").Create(t.Context(), unlabelled, metav1.CreateOptions{})
	require.NoError(t, err)

	require.Eventually(t, func() bool { return len(fakeNames(fk)) == 2 }, waitFor, 50*time.Millisecond, "created from the ConfigMap")
	require.NoError(t, ctl.Healthy())
	assert.NotContains(t, fakeNames(fk), "nope", "unlabelled ConfigMaps are ignored")
	require.Eventually(t, func() bool {
		ev := eventsFor(t, kube, "shop", "te")
		return hasEvent(ev, ReasonCreated, `"front"`) && hasEvent(ev, ReasonCreated, `"api"`)
	}, waitFor, 100*time.Millisecond, "an Event per create")
	require.Eventually(t, func() bool {
		cm, err := cms.Get(t.Context(), "te", metav1.GetOptions{})
		return err == nil && strings.Contains(cm.Annotations[contract.AnnotationThousandEyesSync], `"status":"Synced"`)
	}, waitFor, 100*time.Millisecond, "the annotation records the result")

	t.Run("an invalid ConfigMap gets an Event naming the field; others keep syncing", func(t *testing.T) {
		bad := strings.Replace(testsYAML("", "broken"), "interval: 300", "interval: 45", 1)
		_, err := kube.CoreV1().ConfigMaps("broken").Create(t.Context(), configMap("broken", "te", bad), metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = kube.CoreV1().ConfigMaps("blog").Create(t.Context(), configMap("blog", "te", testsYAML("", "blog")), metav1.CreateOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			return hasEvent(eventsFor(t, kube, "broken", "te"), ReasonInvalidConfig, `httpTests[0] ("broken"): interval: 45`)
		}, waitFor, 100*time.Millisecond)
		require.Eventually(t, func() bool { _, ok := fakeNames(fk)["blog"]; return ok }, waitFor, 50*time.Millisecond)
		assert.NotContains(t, fakeNames(fk), "broken")
	})

	t.Run("an edit is one PUT", func(t *testing.T) {
		waitQuiet(t, fk)
		fk.ResetLog()
		cm, err := cms.Get(t.Context(), "te", metav1.GetOptions{})
		require.NoError(t, err)
		cm.Data[contract.ThousandEyesConfigKey] = strings.Replace(cm.Data[contract.ThousandEyesConfigKey], "interval: 300", "interval: 900", 1)
		_, err = cms.Update(t.Context(), cm, metav1.UpdateOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool { return fakeNames(fk)["front"].Interval == 900 }, waitFor, 50*time.Millisecond)
		require.Eventually(t, func() bool { return hasEvent(eventsFor(t, kube, "shop", "te"), ReasonUpdated, `"front"`) }, waitFor, 100*time.Millisecond)
		waitQuiet(t, fk)
		assert.Equal(t, 1, fk.Count("PUT", "/tests/http-server"))
		assert.Equal(t, 0, fk.Count("POST", "/tests/http-server"))
	})

	t.Run("deleting a ConfigMap with prune deletes its tests", func(t *testing.T) {
		require.NoError(t, cms.Delete(t.Context(), "te", metav1.DeleteOptions{}))
		require.Eventually(t, func() bool {
			n := fakeNames(fk)
			_, front := n["front"]
			_, blog := n["blog"]
			return !front && blog
		}, waitFor, 50*time.Millisecond)
	})

	assert.Equal(t, float64(3), testutil.ToFloat64(ctl.metrics.ops.WithLabelValues("create", "success")))
	assert.Equal(t, float64(2), testutil.ToFloat64(ctl.metrics.ops.WithLabelValues("delete", "success")))
	assert.Equal(t, float64(1), testutil.ToFloat64(ctl.metrics.managed))
	assert.Positive(t, testutil.ToFloat64(ctl.metrics.api.WithLabelValues("POST", "201")))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Run did not return after cancel")
	}
	require.Error(t, ctl.Healthy(), "not healthy once the loop stopped")
}

// waitQuiet waits until the fake has seen no request for half a second.
func waitQuiet(t *testing.T, fk *tefake.Server) {
	t.Helper()
	require.Eventually(t, func() bool {
		reqs := fk.Requests()
		return len(reqs) == 0 || time.Since(reqs[len(reqs)-1].Time) > 500*time.Millisecond
	}, waitFor, 100*time.Millisecond)
}
