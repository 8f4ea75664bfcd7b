//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/internal/contract"
)

const checksAnnotation = `
- name: target-http
  type: http
  url: http://target.%[1]s.svc:8080/healthz
  expectBody: ok
  interval: 2s
  timeout: 1s
- name: target-tcp
  type: tcp
  address: target.%[1]s.svc:8080
  interval: 2s
  timeout: 1s
- name: cluster-dns
  type: dns
  query: kubernetes.default.svc.cluster.local
  recordType: A
  interval: 2s
  timeout: 1s
- name: broken
  type: http
  url: http://target.%[1]s.svc:8080/status/500
  expectStatus: "^2..$"
  interval: 2s
  timeout: 1s
- name: once
  type: http
  url: http://target.%[1]s.svc:8080/healthz
  interval: 2s
  timeout: 1s
  runOn: one
`

// Annotation-declared checks run in the sidecars against real Services, export
// metrics, and a runOn: one check has exactly one runner that fails over.
func TestChecks(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	probers := deployTargetAndProbers(t, ns, checksAnnotation)

	t.Run("check metrics on every replica", func(t *testing.T) {
		for _, p := range probers {
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				lines, err := metrics(ctx, ns, p.Name, "meshprobe_check_")
				require.NoError(c, err)
				for check, want := range map[string]float64{"target-http": 1, "target-tcp": 1, "cluster-dns": 1, "broken": 0} {
					up, ok := metricValue(lines, "meshprobe_check_up", map[string]string{"check": check})
					if assert.True(c, ok, "%s: meshprobe_check_up{check=%q}", p.Name, check) {
						assert.Equal(c, want, up, "%s: meshprobe_check_up{check=%q}", p.Name, check)
					}
				}
				n, _ := metricValue(lines, "meshprobe_check_duration_seconds_count", map[string]string{"check": "target-http"})
				assert.Greater(c, n, 0.0, "%s: durations recorded", p.Name)
			}, 60*time.Second, time.Second)
		}
	})

	t.Run("runOn one has a single runner that fails over", func(t *testing.T) {
		runner := waitSingleRunner(t, probers, "once").Name
		require.NoError(t, suite.client.CoreV1().Pods(ns).Delete(ctx, runner, metav1.DeleteOptions{}))
		// The Deployment replaces the runner; among the live replicas (the survivor and
		// the replacement) exactly one must run the check again.
		live := waitReadyPods(t, ns, "app=prober", 2, 2*time.Minute)
		for _, p := range live {
			require.NotEqual(t, runner, p.Name, "the deleted runner is gone")
		}
		next := waitSingleRunner(t, live, "once").Name
		assert.NotEqual(t, runner, next, "another replica took over")
	})
}

// waitSingleRunner waits until exactly one of pods runs check (a runOn: one or
// one-node pattern check) and the others stand by, and returns the runner.
func waitSingleRunner(t *testing.T, pods []corev1.Pod, check string) corev1.Pod {
	t.Helper()
	var runner corev1.Pod
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		runners := 0
		for _, p := range pods {
			st, err := checkStatus(t.Context(), p.Namespace, p.Name, check)
			require.NoError(c, err)
			switch st.LastResult {
			case checks.ResultSuccess:
				runners++
				runner = p
			case checks.StateStandby:
			default:
				assert.Fail(c, "unexpected state", "%s: %s is %q (%s%s)", p.Name, check, st.LastResult, st.Error, st.Reason)
			}
		}
		assert.Equal(c, 1, runners, "exactly one runner of %s", check)
	}, 60*time.Second, time.Second)
	return runner
}

func checkStatus(ctx context.Context, ns, pod, name string) (*checks.Status, error) {
	raw, err := proxyGet(ctx, ns, pod, contract.DefaultHTTPPort, "/api/v1/checks")
	if err != nil {
		return nil, err
	}
	var rep checks.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, err
	}
	for _, st := range rep.Checks {
		if st.Name == name {
			return &st, nil
		}
	}
	return nil, fmt.Errorf("%s/%s has no check %q (reload ok=%v: %s)", ns, pod, name, rep.LastReloadSuccessful, rep.LastReloadError)
}

// deployTargetAndProbers deploys the Service target (one test-app replica on port
// 8080) and two prober replicas, one per node, whose checks annotation is
// checksFormat with %[1]s the namespace; it returns the ready probers.
func deployTargetAndProbers(t *testing.T, ns, checksFormat string) []corev1.Pod {
	t.Helper()
	deployApp(t, ns, appSpec{name: "target", replicas: 1})
	_, err := suite.client.CoreV1().Services(ns).Create(t.Context(), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "target"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "target"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	deployApp(t, ns, appSpec{name: "prober", replicas: 2, spread: true, checks: fmt.Sprintf(checksFormat, ns)})
	waitReadyPods(t, ns, "app=target", 1, 2*time.Minute)
	return waitReadyPods(t, ns, "app=prober", 2, 2*time.Minute)
}
