package thousandeyes

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/reconciler"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// status reads a ConfigMap's sync annotation ("" while it has none).
func status(t *testing.T, kube kubernetes.Interface, ns, name string) SyncStatus {
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	var st SyncStatus
	if v := cm.Annotations[contract.AnnotationThousandEyesSync]; v != "" {
		require.NoError(t, json.Unmarshal([]byte(v), &st))
	}
	return st
}

// lease writes the leader Lease with holder, renewed now.
func lease(t *testing.T, kube kubernetes.Interface, holder string) {
	t.Helper()
	l := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: "meshprobe-system", Name: contract.LeaseName},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(holder), LeaseDurationSeconds: ptr.To[int32](60),
			RenewTime: ptr.To(metav1.NewMicroTime(time.Now()))},
	}
	leases := kube.CoordinationV1().Leases(l.Namespace)
	cur, err := leases.Get(t.Context(), l.Name, metav1.GetOptions{})
	if err != nil {
		_, err = leases.Create(t.Context(), l, metav1.CreateOptions{})
		require.NoError(t, err)
		return
	}
	cur.Spec = l.Spec
	_, err = leases.Update(t.Context(), cur, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// TestTenancy: namespace opt-in, owner-wins on names, the default install
// identity and writes bound to the Lease, against a real kube-apiserver.
func TestTenancy(t *testing.T) {
	env := testenv.Start(t)
	kube := env.Client
	fk := tefake.New(tefake.Config{Token: "tok", Window: time.Second})
	srv := httptest.NewServer(fk)
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL + "/v7")
	cfg.ClusterName = "" // the default: kube-system's UID
	cfg.Namespaces = []string{"team"}
	cfg.Lease = &LeaseRef{Namespace: "meshprobe-system", Name: contract.LeaseName, Identity: "me"}
	ctl, err := New(cfg, kube, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.NoError(t, err)
	createNS(t, kube, "meshprobe-system", "team", "tenant")
	lease(t, kube, "me")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ctl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	create := func(ns, name, yaml string) {
		t.Helper()
		_, err := kube.CoreV1().ConfigMaps(ns).Create(t.Context(), configMap(ns, name, yaml), metav1.CreateOptions{})
		require.NoError(t, err)
	}
	create("tenant", "te", testsYAML("", "tenant-test"))
	create("team", "first", testsYAML("", "shared", "team-test"))
	require.Eventually(t, func() bool { _, ok := fakeNames(fk)["team-test"]; return ok }, waitFor, 50*time.Millisecond)

	t.Run("a namespace that is not opted in is ignored and told why", func(t *testing.T) {
		require.Eventually(t, func() bool { return status(t, kube, "tenant", "te").Status == StatusIgnored }, waitFor, 50*time.Millisecond)
		assert.Contains(t, status(t, kube, "tenant", "te").Message, "meshprobe.io/thousandeyes=enabled")
		assert.NotContains(t, fakeNames(fk), "tenant-test")
		assert.Equal(t, float64(1), testutil.ToFloat64(ctl.metrics.ignored.WithLabelValues(IgnoredNamespace)))
	})

	t.Run("the marker carries the install identity", func(t *testing.T) {
		ks, err := kube.CoreV1().Namespaces().Get(t.Context(), "kube-system", metav1.GetOptions{})
		require.NoError(t, err)
		m, ok := reconciler.ParseMarker(fakeNames(fk)["team-test"].Description)
		require.True(t, ok)
		assert.Equal(t, string(ks.UID)+"/meshprobe-system", m.Install)
	})

	t.Run("the ConfigMap that created a name keeps it", func(t *testing.T) {
		create("team", "second", testsYAML("", "shared", "second-test"))
		require.Eventually(t, func() bool { return status(t, kube, "team", "second").Status == StatusConflict }, waitFor, 50*time.Millisecond)
		assert.Contains(t, status(t, kube, "team", "second").Message, "owned by ConfigMap team/first")
		assert.Contains(t, fakeNames(fk), "second-test", "its other tests sync")
		assert.Equal(t, "https://shared.example.com/", fakeNames(fk)["shared"].URL)
		assert.True(t, hasEvent(eventsFor(t, kube, "team", "second"), ReasonNameConflict, `"shared"`))
		assert.Equal(t, float64(1), testutil.ToFloat64(ctl.metrics.conflicts.WithLabelValues(reconciler.HolderConfigMap)))
	})

	t.Run("labelling the namespace opts it in", func(t *testing.T) {
		ns, err := kube.CoreV1().Namespaces().Get(t.Context(), "tenant", metav1.GetOptions{})
		require.NoError(t, err)
		ns.Labels = map[string]string{NamespaceLabel: NamespaceLabelValue}
		_, err = kube.CoreV1().Namespaces().Update(t.Context(), ns, metav1.UpdateOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool { _, ok := fakeNames(fk)["tenant-test"]; return ok }, waitFor, 50*time.Millisecond)
		require.Eventually(t, func() bool { return status(t, kube, "tenant", "te").Status == StatusSynced }, waitFor, 50*time.Millisecond)
		assert.Zero(t, testutil.ToFloat64(ctl.metrics.ignored.WithLabelValues(IgnoredNamespace)))
	})

	t.Run("after losing the Lease no write reaches the fake", func(t *testing.T) {
		waitQuiet(t, fk)
		lease(t, kube, "someone-else") // taken over; this replica has not noticed yet (ctx is live)
		fk.ResetLog()
		create("team", "late", testsYAML("", "late-test"))
		require.Eventually(t, func() bool { return status(t, kube, "team", "late").Status == StatusError }, waitFor, 50*time.Millisecond)
		assert.Contains(t, status(t, kube, "team", "late").Message, `held by "someone-else"`)
		for _, r := range fk.Requests() {
			assert.Equal(t, http.MethodGet, r.Method, "%s %s after the Lease was lost", r.Method, r.Path)
		}
		assert.NotContains(t, fakeNames(fk), "late-test")
	})
}
