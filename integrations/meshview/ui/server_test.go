//go:build linux

package ui_test

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/integrations/meshview"
	"github.com/meshprobe/meshprobe/integrations/meshview/ui"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
)

// viewServer is the control plane's view server (meshview.Server with the UI)
// over the simulated cluster's Store, checking tokens with a real
// kube-apiserver.
type viewServer struct {
	url  string
	kube kubernetes.Interface
}

// startViewServer starts the API server, the view server on a loopback port and
// the ClusterRole meshprobe-view the view's readers are bound to.
func startViewServer(t *testing.T, store *meshview.Store) *viewServer {
	t.Helper()
	env := testenv.Start(t)
	createViewRole(t, env.Client)
	cfg := meshview.DefaultConfig()
	cfg.Replica, cfg.UI = "meshprobe-system/meshprobe-control-plane-7d9f-0/00000000", ui.Handler()
	srv, err := meshview.NewServer(cfg, store, env.Client, testlog.New(t, slog.LevelInfo), prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &viewServer{url: hs.URL, kube: env.Client}
}

// createViewRole creates the ClusterRole users are bound to, as
// manifests/base/rbac.yaml ships it.
func createViewRole(t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	body, err := os.ReadFile("../../../manifests/base/rbac.yaml")
	if err != nil {
		t.Fatalf("reading the manifests: %v", err)
	}
	var role *rbacv1.ClusterRole
	for doc := range strings.SplitSeq(string(body), "\n---\n") {
		var r rbacv1.ClusterRole
		if err := yaml.Unmarshal([]byte(doc), &r); err != nil {
			t.Fatalf("manifests/base/rbac.yaml: %v", err)
		}
		if r.Kind == "ClusterRole" && r.Name == meshview.ClusterRoleName {
			role = &r
		}
	}
	if role == nil {
		t.Fatalf("manifests/base/rbac.yaml has no ClusterRole %s", meshview.ClusterRoleName)
	}
	if _, err := kube.RbacV1().ClusterRoles().Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ClusterRole %s: %v", role.Name, err)
	}
}

// token returns a token of a new ServiceAccount, as `kubectl create token`
// does, bound to meshprobe-view when bound is true.
func (v *viewServer) token(t *testing.T, name string, bound bool) string {
	t.Helper()
	ctx, ns := t.Context(), "default"
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := v.kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ServiceAccount %s: %v", name, err)
	}
	if bound {
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: meshview.ClusterRoleName},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}}}
		if _, err := v.kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatalf("binding %s to %s: %v", name, meshview.ClusterRoleName, err)
		}
	}
	expiry := int64(3600)
	tr, err := v.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name,
		&authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a token for %s: %v", name, err)
	}
	return tr.Status.Token
}
