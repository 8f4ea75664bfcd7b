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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// heartbeatToken is the token in e2e/testdata/overlay/e2e-secret.yaml.
const heartbeatToken = "e2e-heartbeat-token"

// The leader's heartbeat endpoint reports a deployment healthy, degraded while it is
// rolled to a crashing image, and healthy again once fixed; no token is refused.
func TestHeartbeat(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	deployApp(t, ns, appSpec{name: "hb", replicas: 2})
	waitReadyPods(t, ns, "app=hb", 2, 2*time.Minute)
	path := fmt.Sprintf("/api/healthz/%s/deployment/hb", ns)

	code, _, err := heartbeatGet(ctx, path, "")
	require.NoError(t, err)
	assert.Equal(t, 401, code, "no token: 401")

	waitHeartbeat(t, path, 200, heartbeat.StatusHealthy, 90*time.Second)
	setImage(t, ns, "hb", "meshprobe.io/testapp:crash")
	waitHeartbeat(t, path, 503, heartbeat.StatusDegraded, 120*time.Second)
	setImage(t, ns, "hb", testAppImage)
	waitHeartbeat(t, path, 200, heartbeat.StatusHealthy, 120*time.Second)
}

func setImage(t *testing.T, ns, name, image string) {
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":%q}]}}}}`, image)
	_, err := suite.client.AppsV1().Deployments(ns).Patch(t.Context(), name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
}

func waitHeartbeat(t *testing.T, path string, wantCode int, wantStatus heartbeat.Status, timeout time.Duration) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, body, err := heartbeatGet(t.Context(), path, heartbeatToken)
		require.NoError(c, err)
		var v heartbeat.Verdict
		_ = json.Unmarshal(body, &v)
		assert.Equal(c, wantCode, code, "heartbeat %s: %s", path, body)
		assert.Equal(c, wantStatus, v.Status, "heartbeat %s: %s", path, body)
	}, timeout, 2*time.Second)
}

// heartbeatGet calls the heartbeat Service (which routes to the leader) through the
// apiserver's service proxy.
func heartbeatGet(ctx context.Context, path, token string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req := suite.client.CoreV1().RESTClient().Get().Namespace(contract.DefaultNamespace).
		Resource("services").Name("meshprobe-heartbeat:heartbeat").SubResource("proxy").Suffix(path)
	if token != "" {
		req = req.Param("token", token)
	}
	res := req.Do(ctx)
	var code int
	res.StatusCode(&code)
	body, err := res.Raw()
	if code != 0 {
		err = nil // non-2xx answers are what we assert on
	}
	return code, body, err
}
