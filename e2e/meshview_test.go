//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/integrations/meshview"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/chromium"
)

// meshviewChecks are a passing and a failing check, run by every prober replica.
const meshviewChecks = `
- name: target-ok
  type: tcp
  address: target.%[1]s.svc:8080
  interval: 2s
  timeout: 1s
- name: target-broken
  type: http
  url: http://target.%[1]s.svc:8080/status/500
  interval: 2s
  timeout: 1s
`

// The control plane's cluster view answers "what is failing, where, since when"
// and "latency from pod A to pod B" with one request each, from gossip digests
// alone, to a caller whose token Kubernetes allows to read the view; the web UI
// shows the same in a real browser.
func TestClusterView(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, true)
	probers := deployTargetAndProbers(t, ns, meshviewChecks)

	viewer := viewerToken(t, ns, "meshview-reader", true)
	base := forwardToControlPlane(t, 8083)

	t.Run("what is failing, where, since when: one request", func(t *testing.T) {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			var ans meshview.ChecksAnswer
			require.NoError(c, getJSON(ctx, base+meshview.PathChecks+"?result=failure&namespace="+ns, viewer, &ans))
			byPod := map[string]meshview.CheckView{}
			for _, cv := range ans.Checks {
				assert.Equal(c, "target-broken", cv.Name, "only the broken check fails")
				byPod[cv.Pod] = cv
			}
			for _, p := range probers {
				cv, ok := byPod[p.Name]
				if !assert.True(c, ok, "the view lists target-broken failing on %s", p.Name) {
					continue
				}
				assert.Equal(c, p.Spec.NodeName, cv.Node, "where: the node")
				assert.Contains(c, cv.Error, "500", "why: the status code")
				assert.False(c, cv.FailingSince.IsZero(), "since when")
				assert.NotEmpty(c, cv.History, "the last runs")
			}
		}, 90*time.Second, 2*time.Second)
	})

	t.Run("latency from pod A to pod B: one request", func(t *testing.T) {
		a, b := probers[0], probers[1]
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			var ans meshview.RTTAnswer
			require.NoError(c, getJSON(ctx, base+meshview.PathRTT+"?from="+ns+"/"+a.Name+"&to="+ns+"/"+b.Name, viewer, &ans))
			assert.Contains(c, []string{"measured", "estimated"}, ans.Source, "%+v", ans)
			assert.Positive(c, ans.Seconds, "%+v", ans)
			assert.Less(c, ans.Seconds, 1.0, "%+v", ans)
		}, 90*time.Second, 2*time.Second)
	})

	t.Run("access is Kubernetes RBAC's", func(t *testing.T) {
		stranger := viewerToken(t, ns, "meshview-stranger", false)
		for token, want := range map[string]int{"": http.StatusUnauthorized, "not-a-token": http.StatusUnauthorized, stranger: http.StatusForbidden} {
			code, body := get(t, base+meshview.PathMembers, token)
			assert.Equal(t, want, code, "%s", body)
		}
	})

	t.Run("the web UI lists the members and the failing check", func(t *testing.T) {
		dom := chromium.Find(t).DumpDOM(t, base+"/#token="+viewer)
		for _, p := range probers {
			assert.Contains(t, dom, p.Name, "the page lists member %s", p.Name)
		}
		assert.Contains(t, dom, "target-broken", "the page shows the failing check")
	})
}

// viewerToken returns a token of a new ServiceAccount in ns, bound to the
// ClusterRole meshprobe-view when bind is set.
func viewerToken(t *testing.T, ns, name string, bind bool) string {
	t.Helper()
	ctx := t.Context()
	_, err := suite.client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	require.NoError(t, err)
	if bind {
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "meshprobe-view"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}},
		}
		_, err := suite.client.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
		require.NoError(t, err)
		t.Cleanup(func() {
			_ = suite.client.RbacV1().ClusterRoleBindings().Delete(context.Background(), crb.Name, metav1.DeleteOptions{})
		})
	}
	tr, err := suite.client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return tr.Status.Token
}

// forwardToControlPlane forwards a local port to port on a ready control-plane
// pod (every replica serves the view) and returns its base URL.
func forwardToControlPlane(t *testing.T, port int) string {
	t.Helper()
	pods := waitReadyPods(t, contract.DefaultNamespace, "app.kubernetes.io/name=meshprobe-webhook", 2, 2*time.Minute) // the two replicas
	return "http://" + portForward(t, contract.DefaultNamespace, pods[0].Name, port)
}

// getJSON GETs url with a bearer token and decodes a 200 answer into v.
func getJSON(ctx context.Context, url, token string, v any) error {
	code, body, err := request(ctx, url, token)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: %d: %s", url, code, body)
	}
	return json.Unmarshal(body, v)
}

// get GETs url with a bearer token (none when empty) and returns code and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	code, body, err := request(t.Context(), url, token)
	require.NoError(t, err)
	return code, string(body)
}

func request(ctx context.Context, url, token string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, body, err
}
