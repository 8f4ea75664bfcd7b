package meshview

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/meshview/ui"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// controlPlaneSA is meshprobe's ServiceAccount as the API server names it.
const controlPlaneSA = "system:serviceaccount:" + contract.DefaultNamespace + ":meshprobe"

// authCluster is a real API server with manifests/base's RBAC and two
// ServiceAccounts in namespace team: reader, bound to meshprobe-view, and
// stranger, bound to nothing.
type authCluster struct {
	env            *testenv.Env
	asControlPlane kubernetes.Interface // impersonates meshprobe's ServiceAccount
	reader         string               // tokens
	stranger       string
}

func newAuthCluster(t *testing.T) *authCluster {
	t.Helper()
	env := testenv.Start(t)
	var rbac []*unstructured.Unstructured
	for _, o := range install.RenderForTest(t, filepath.Join("..", "..", "manifests", "base")) {
		switch o.GetKind() {
		case "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding":
			rbac = append(rbac, o)
		}
	}
	require.NoError(t, install.Apply(t.Context(), env.Config, rbac, install.Options{}))
	c := &authCluster{env: env, asControlPlane: env.ClientFor(t, controlPlaneSA, "system:serviceaccounts",
		"system:serviceaccounts:"+contract.DefaultNamespace, "system:authenticated")}
	ctx, core := t.Context(), env.Client.CoreV1()
	_, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	for _, sa := range []string{"reader", "stranger"} {
		_, err := core.ServiceAccounts("team").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	c.bindReader(t)
	c.reader, c.stranger = c.token(t, "reader"), c.token(t, "stranger")
	return c
}

// bindReader binds team/reader to meshprobe-view and waits until the
// authorizer (which caches RBAC from informers) says so.
func (c *authCluster) bindReader(t *testing.T) {
	t.Helper()
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "reader-view"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRoleName},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "team", Name: "reader"}}}
	_, err := c.env.Client.RbacV1().ClusterRoleBindings().Create(t.Context(), crb, metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.readerAllowed(t) }, 30*time.Second, 20*time.Millisecond)
}

func (c *authCluster) readerAllowed(t *testing.T) bool {
	sar, err := c.env.Client.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), &authzv1.SubjectAccessReview{
		Spec: authzv1.SubjectAccessReviewSpec{User: "system:serviceaccount:team:reader",
			ResourceAttributes: &authzv1.ResourceAttributes{Group: AuthGroup, Resource: AuthResource, Verb: AuthVerb}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return sar.Status.Allowed
}

func (c *authCluster) token(t *testing.T, sa string) string {
	t.Helper()
	tr, err := c.env.Client.CoreV1().ServiceAccounts("team").CreateToken(t.Context(), sa, &authnv1.TokenRequest{}, metav1.CreateOptions{})
	require.NoError(t, err)
	return tr.Status.Token
}

// viewServer serves a Server whose reviews are sent as meshprobe's
// ServiceAccount, with the UI at /.
func (c *authCluster) viewServer(t *testing.T, cfg Config) (*httptest.Server, *Server) {
	t.Helper()
	cfg.UI = ui.Handler()
	srv, err := NewServer(cfg, populated(t), c.asControlPlane, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs, srv
}

// call sends method path with token (none when empty) and returns the
// status, the headers and the body's message (for errors) or body.
func call(t *testing.T, hs *httptest.Server, method, path, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, hs.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var e apiError
	if resp.StatusCode >= 400 && json.Unmarshal(body, &e) == nil {
		assert.Equal(t, resp.StatusCode, e.Status)
		return resp.StatusCode, resp.Header, e.Message
	}
	return resp.StatusCode, resp.Header, string(body)
}

// TestAccessOnAPIServer runs the view server against a real kube-apiserver
// with the shipped RBAC: the control plane may ask the reviews, a token bound
// to meshprobe-view reads, one that is not gets 403, none gets 401, and a
// binding deleted stops working within the cache TTL.
func TestAccessOnAPIServer(t *testing.T) {
	c := newAuthCluster(t)
	cfg := DefaultConfig()
	cfg.CacheTTL = 300 * time.Millisecond
	hs, srv := c.viewServer(t, cfg)

	t.Run("no token", func(t *testing.T) {
		code, h, msg := call(t, hs, http.MethodGet, PathMembers, "")
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Equal(t, `Bearer realm="meshprobe-view"`, h.Get("WWW-Authenticate"))
		assert.Contains(t, msg, "no bearer token: send \"Authorization: Bearer <token>\"")
		assert.Contains(t, msg, "`kubectl create token <serviceaccount> -n <namespace>`")
	})
	t.Run("a token the API server refuses", func(t *testing.T) {
		code, _, msg := call(t, hs, http.MethodGet, PathMembers, "not-a-token")
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Contains(t, msg, "the Kubernetes API server did not accept the token")
	})
	t.Run("a token not bound to meshprobe-view", func(t *testing.T) {
		code, _, msg := call(t, hs, http.MethodGet, PathChecks, c.stranger)
		assert.Equal(t, http.StatusForbidden, code)
		assert.Contains(t, msg, "system:serviceaccount:team:stranger may not get meshview.meshprobe.io")
		assert.Contains(t, msg, "kubectl create clusterrolebinding <name> --clusterrole=meshprobe-view --serviceaccount=team:stranger")
	})
	t.Run("a token bound to meshprobe-view", func(t *testing.T) {
		code, _, body := call(t, hs, http.MethodGet, PathChecks+"?result=failing", c.reader)
		require.Equal(t, http.StatusOK, code, body)
		var ans ChecksAnswer
		require.NoError(t, json.Unmarshal([]byte(body), &ans))
		assert.Equal(t, 1, ans.Failing)
		code, _, _ = call(t, hs, http.MethodHead, PathMembers, c.reader)
		assert.Equal(t, http.StatusOK, code)
		code, h, _ := call(t, hs, http.MethodPost, PathMembers, c.reader)
		assert.Equal(t, http.StatusMethodNotAllowed, code)
		assert.Equal(t, "GET, HEAD", h.Get("Allow"))
		code, _, msg := call(t, hs, http.MethodGet, "/api/v1/secrets", c.reader)
		assert.Equal(t, http.StatusNotFound, code)
		assert.Contains(t, msg, "the endpoints are /api/v1/members")
	})
	t.Run("the page needs no token", func(t *testing.T) {
		code, h, body := call(t, hs, http.MethodGet, "/", "")
		assert.Equal(t, http.StatusOK, code)
		assert.Contains(t, h.Get("Content-Type"), "text/html")
		assert.Contains(t, body, "<html")
	})
	t.Run("decisions are cached", func(t *testing.T) {
		allowed := testutil.ToFloat64(srv.metrics.reviews[reviewAllowed])
		for range 5 {
			code, _, _ := call(t, hs, http.MethodGet, PathMembers, c.reader)
			require.Equal(t, http.StatusOK, code)
		}
		after := testutil.ToFloat64(srv.metrics.reviews[reviewAllowed])
		assert.LessOrEqual(t, after-allowed, 2.0, "five requests within the TTL: at most one review per TTL window")
	})
	t.Run("review rate bound", func(t *testing.T) { testReviewRateBound(t, c) })
	t.Run("a binding deleted stops working", func(t *testing.T) {
		require.NoError(t, c.env.Client.RbacV1().ClusterRoleBindings().Delete(t.Context(), "reader-view", metav1.DeleteOptions{}))
		require.Eventually(t, func() bool {
			code, _, _ := call(t, hs, http.MethodGet, PathMembers, c.reader)
			return code == http.StatusForbidden
		}, 30*time.Second, 50*time.Millisecond)
	})
}

// testReviewRateBound: tokens the cache does not answer beyond the review
// rate get 429, without a review.
func testReviewRateBound(t *testing.T, c *authCluster) {
	cfg := DefaultConfig()
	cfg.ReviewRate, cfg.ReviewBurst = 0.001, 1
	hs, _ := c.viewServer(t, cfg)
	code, _, _ := call(t, hs, http.MethodGet, PathMembers, c.reader)
	require.Equal(t, http.StatusOK, code)
	code, h, msg := call(t, hs, http.MethodGet, PathMembers, c.stranger)
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.Equal(t, "1", h.Get("Retry-After"))
	assert.Contains(t, msg, "too many token reviews at once")
	code, _, _ = call(t, hs, http.MethodGet, PathMembers, c.reader)
	assert.Equal(t, http.StatusOK, code, "a cached decision needs no review")
}
