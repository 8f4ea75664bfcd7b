package missedinjection

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/webhook"
)

// TestRepairLoopBreaker runs against a real kube-apiserver, etcd and
// kube-controller-manager with the webhook down for good: every restart's new
// pods come up without the sidecar again. After RepairMaxRestarts restarts
// the repair stops restarting the Deployment, says so (Event, gauge), and a
// new leader, reading the Events, does not start again.
func TestRepairLoopBreaker(t *testing.T) {
	env := testenv.Start(t, testenv.WithControllerManager())
	client := env.Client
	wcfg := webhook.DefaultConfig()
	createNamespace(t, client, "apps", true)
	createWebhookConfig(t, client)
	createDeployment(t, client, "apps", "web", 1)

	cfg := DefaultConfig()
	cfg.Webhook, cfg.Resync = &wcfg, time.Second
	cfg.Repair, cfg.RepairInterval, cfg.RepairCooldown = RepairRestart, time.Second, 5*time.Second // the controller-manager rolls out well within it
	cfg.RepairMaxRestarts, cfg.RepairWindow = 2, time.Minute
	reg := prometheus.NewRegistry()
	stopA := run(t, client, cfg, reg, "a")

	require.Eventually(t, func() bool { return suspendedEvents(t, client) == 1 }, 60*time.Second, poll,
		"the repair suspends the Deployment whose new pods keep coming up without the sidecar")
	assert.Equal(t, 2, restartEvents(t, client), "two restarts, then no more")
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP meshprobe_webhook_missed_repair_suspended Workloads the missed-injection repair stopped restarting because their new pods kept coming up without the sidecar (--repair-missed-max-restarts within --repair-missed-window), by namespace. Exported by the leader with --repair-missed=restart only.
# TYPE meshprobe_webhook_missed_repair_suspended gauge
meshprobe_webhook_missed_repair_suspended{namespace="apps"} 1
`), "meshprobe_webhook_missed_repair_suspended"))
	last := restartedAt(t, client, "apps", "web")

	stopA()
	run(t, client, cfg, prometheus.NewRegistry(), "b")
	time.Sleep(2 * cfg.RepairCooldown) // a wait for something that must not happen
	assert.Equal(t, last, restartedAt(t, client, "apps", "web"), "the new leader does not restart it either")
	assert.Equal(t, 2, restartEvents(t, client))
	assert.Equal(t, 1, suspendedEvents(t, client), "and does not report it again")
}

func suspendedEvents(t *testing.T, client kubernetes.Interface) int {
	t.Helper()
	list, err := client.CoreV1().Events("apps").List(t.Context(), metav1.ListOptions{
		FieldSelector: fields.Set{"reason": ReasonRepairSuspended, "involvedObject.kind": "Deployment", "involvedObject.name": "web"}.AsSelector().String()})
	require.NoError(t, err)
	return len(list.Items)
}
