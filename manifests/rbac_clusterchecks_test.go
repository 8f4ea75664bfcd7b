package manifests_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/clusterchecks"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// Source ConfigMaps of cluster checks in meshprobe-system: one valid, one not.
const (
	ccValid   = "team-checks"
	ccInvalid = "broken-checks"
)

// clusterCheckSources are the fixture's ConfigMaps for the cluster-checks task:
// its sources, and a ConfigMap in another namespace that has the generated
// one's name (the policies keep meshprobe off it).
func clusterCheckSources() []*corev1.ConfigMap {
	src := func(name, data string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: contract.DefaultNamespace, Name: name,
			Labels: map[string]string{clusterchecks.LabelSource: clusterchecks.LabelSourceValue}}, Data: map[string]string{"checks.yaml": data}}
	}
	return []*corev1.ConfigMap{
		src(ccValid, "- {name: api, type: http, url: 'http://api.shop/'}\n"),
		src(ccInvalid, "- {name: nope, type: http}\n"),
		{ObjectMeta: metav1.ObjectMeta{Namespace: nsShop, Name: clusterchecks.ConfigMapName}, Data: map[string]string{"checks.yaml": "[]"}},
	}
}

// testClusterChecksTask runs the real cluster-checks task as the
// ServiceAccount: it creates the generated ConfigMap, records a Warning Event
// on the invalid source, and undoes a hand edit, through RBAC and the policies.
func (f *privilegeFixture) testClusterChecksTask(t *testing.T) {
	runClusterChecks(t, f.sa)
	cms := f.admin.CoreV1().ConfigMaps(contract.DefaultNamespace)
	var data string
	require.Eventually(t, func() bool {
		cm, err := cms.Get(t.Context(), clusterchecks.ConfigMapName, metav1.GetOptions{})
		data = cm.Data[clusterchecks.Key]
		return err == nil && strings.Contains(data, "name: api")
	}, 30*time.Second, 50*time.Millisecond, "the task never wrote %s", clusterchecks.ConfigMapName)

	sel := fields.Set{"involvedObject.name": ccInvalid, "reason": clusterchecks.StateInvalid.Reason()}.AsSelector().String()
	require.Eventually(t, func() bool {
		list, err := f.admin.CoreV1().Events(contract.DefaultNamespace).List(t.Context(), metav1.ListOptions{FieldSelector: sel})
		require.NoError(t, err)
		return len(list.Items) > 0
	}, 30*time.Second, 50*time.Millisecond, "no Event on the invalid source")

	cm, err := cms.Get(t.Context(), clusterchecks.ConfigMapName, metav1.GetOptions{})
	require.NoError(t, err)
	cm.Data[clusterchecks.Key] = "[]"
	_, err = cms.Update(t.Context(), cm, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		cm, err := cms.Get(t.Context(), clusterchecks.ConfigMapName, metav1.GetOptions{})
		return err == nil && cm.Data[clusterchecks.Key] == data
	}, 30*time.Second, 50*time.Millisecond, "the task never undid the hand edit")
}

// runClusterChecks runs the real cluster-checks task as the ServiceAccount
// until the test ends.
func runClusterChecks(t *testing.T, sa kubernetes.Interface) {
	t.Helper()
	cfg := clusterchecks.DefaultConfig()
	cfg.Namespace = contract.DefaultNamespace
	c, err := clusterchecks.New(cfg, sa, slog.New(slog.DiscardHandler), nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); assert.NoError(t, <-done) })
}

// updateSourceConfigMap changes a source ConfigMap as the ServiceAccount,
// which may read it but not write it.
func (f *privilegeFixture) updateSourceConfigMap(t *testing.T) error {
	cm, err := f.sa.CoreV1().ConfigMaps(contract.DefaultNamespace).Get(t.Context(), ccValid, metav1.GetOptions{})
	require.NoError(t, err)
	cm.Data["checks.yaml"] = "[]"
	_, err = f.sa.CoreV1().ConfigMaps(contract.DefaultNamespace).Update(t.Context(), cm, metav1.UpdateOptions{})
	return err
}
