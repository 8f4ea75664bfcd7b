package manifests_test

import (
	"cmp"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestManifestsOnAPIServer applies the manifests to a real kube-apiserver and
// etcd: every object under manifests/ and the default install as kustomize
// renders it (dry-run, with the cert-manager CRDs installed for real), then the
// RBAC of manifests/base for real, asked with SubjectAccessReviews.
func TestManifestsOnAPIServer(t *testing.T) {
	env := testenv.Start(t)
	t.Run("dry-run", func(t *testing.T) { testManifestsDryRun(t, env) })
	t.Run("rbac", func(t *testing.T) { testRBAC(t, env) })
}

// applier server-side-applies unstructured objects through the dynamic client.
type applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(t *testing.T, cfg *rest.Config) *applier {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	return &applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// apply server-side-applies o (dry-run when dryRun). It returns a NoMatch error
// when the apiserver does not serve o's kind.
// Namespaced objects without a namespace go to defaultNS, else "default".
func (a *applier) apply(t *testing.T, o *unstructured.Unstructured, defaultNS string, dryRun bool) error {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.GetNamespace() == "" {
			o = o.DeepCopy()
			o.SetNamespace(cmp.Or(defaultNS, "default"))
		}
		ri = a.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	data, err := json.Marshal(o.Object)
	require.NoError(t, err)
	opts := metav1.PatchOptions{FieldManager: "meshprobe-manifests-test", Force: new(true)}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Patch(t.Context(), o.GetName(), types.ApplyPatchType, data, opts)
	return err
}

// installCertManagerCRDs applies the CRDs shipped in the cert-manager module and
// waits until the apiserver serves cert-manager.io/v1.
func installCertManagerCRDs(t *testing.T, a *applier) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-m", "-f", "{{.Dir}}", "github.com/cert-manager/cert-manager").Output()
	require.NoError(t, err, "locating the cert-manager module")
	dir := filepath.Join(strings.TrimSpace(string(out)), "deploy", "crds")
	crds := readObjects(t, dir)
	require.NotEmpty(t, crds, "no CRDs in %s", dir)
	for _, c := range crds {
		require.NoError(t, a.apply(t, c.obj, "", false), c.file)
	}
	var kinds []schema.GroupKind
	for _, c := range crds {
		group, _, _ := unstructured.NestedString(c.obj.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(c.obj.Object, "spec", "names", "kind")
		kinds = append(kinds, schema.GroupKind{Group: group, Kind: kind})
	}
	require.Eventually(t, func() bool {
		a.mapper.Reset()
		for _, gk := range kinds {
			if _, err := a.mapper.RESTMapping(gk, "v1"); err != nil {
				return false
			}
		}
		return true
	}, time.Minute, 500*time.Millisecond, "cert-manager CRDs never all served")
}

// externalGroups are API groups of manifests under manifests/ whose CRDs the test
// apiserver does not have (prometheus-operator); their objects are skipped.
var externalGroups = map[string]bool{"monitoring.coreos.com": true}

// placeholderNamespace is the namespace of manifests the user copies into each
// of their namespaces.
const placeholderNamespace = "CHANGE-ME"

func testManifestsDryRun(t *testing.T, env *testenv.Env) {
	a := newApplier(t, env.Config)
	installCertManagerCRDs(t, a)

	// Every object in every file under manifests/, after creating the namespaces
	// for real (a dry-run object cannot go into a dry-run namespace).
	objs := readObjects(t, manifestsDir)
	applyNamespaces(t, a, objs)
	applied := 0
	for _, o := range objs {
		if o.obj.GetNamespace() == placeholderNamespace {
			o.obj = o.obj.DeepCopy()
			o.obj.SetNamespace("default") // networkpolicy/member-namespace.yaml: the user fills it in
		}
		err := a.apply(t, o.obj, o.namespace, true)
		if meta.IsNoMatchError(err) && externalGroups[o.obj.GroupVersionKind().Group] {
			t.Logf("skipped %s %s (%s): the test apiserver has no %s CRDs", o.obj.GetKind(), o.obj.GetName(), o.file, o.obj.GroupVersionKind().Group)
			continue
		}
		require.NoError(t, err, "%s %s in %s", o.obj.GetKind(), o.obj.GetName(), o.file)
		applied++
	}
	t.Logf("dry-run applied %d objects from the files under manifests/", applied)
	assert.GreaterOrEqual(t, applied, 16)

	// The default install as kustomize renders it.
	rendered, err := install.Render(t.Context(), manifestsDir)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, o := range rendered {
		require.NoError(t, a.apply(t, o, "", true), "rendered %s %s", o.GetKind(), o.GetName())
		kinds[o.GetKind()]++
	}
	assert.Equal(t, map[string]int{
		"Namespace": 1, "ServiceAccount": 1, "ClusterRole": 2, "ClusterRoleBinding": 1, "Role": 1, "RoleBinding": 1,
		"Deployment": 1, "PodDisruptionBudget": 1, "Service": 4, "MutatingWebhookConfiguration": 1,
		"Issuer": 2, "Certificate": 2, "ValidatingAdmissionPolicy": 4, "ValidatingAdmissionPolicyBinding": 4,
	}, kinds)
}

// testRBAC installs the ServiceAccount and RBAC for real and asks the apiserver
// what the control plane may and may not do.
func testRBAC(t *testing.T, env *testenv.Env) {
	a := newApplier(t, env.Config)
	objs := readObjects(t, filepath.Join(manifestsDir, "base"))
	applyNamespaces(t, a, objs)
	for _, o := range objs {
		if k := o.obj.GetKind(); k == "ServiceAccount" || strings.Contains(k, "Role") {
			require.NoError(t, a.apply(t, o.obj, o.namespace, false), o.file)
		}
	}
	const sa = "system:serviceaccount:meshprobe-system:meshprobe"
	tests := []struct {
		verb, group, resource, namespace, name string
		allowed                                bool
	}{
		{"list", "", "pods", "", "", true},
		{"watch", "apps", "deployments", "", "", true},
		{"get", "apps", "replicasets", "shop", "", true},
		{"list", "", "namespaces", "", "", true},
		{"patch", "", "configmaps", "shop", "", true},
		{"create", "", "secrets", "shop", "", true},
		{"delete", "", "secrets", "shop", "meshprobe-gossip-key", true},
		{"list", "", "secrets", "", "meshprobe-gossip-key", true}, // list with a metadata.name field selector
		{"create", "", "events", "shop", "", true},
		{"create", "events.k8s.io", "events", "shop", "", true},
		{"list", "", "events", "shop", "", true},
		{"create", "coordination.k8s.io", "leases", "meshprobe-system", "", true},
		{"get", "coordination.k8s.io", "leases", "meshprobe-system", "meshprobe-leader", true},
		{"update", "coordination.k8s.io", "leases", "meshprobe-system", "meshprobe-leader", true},
		{"patch", "", "pods", "meshprobe-system", "", true},
		{"get", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "meshprobe", true},
		{"create", "", "configmaps", "meshprobe-system", "", true}, // the policy meshprobe-cluster-checks limits it to one name
		{"update", "", "configmaps", "meshprobe-system", "meshprobe-cluster-checks", true},
		{"watch", "", "configmaps", "meshprobe-system", "", true},

		// No Secret but the gossip key: not readable, listable or deletable.
		{"get", "", "secrets", "shop", "app-credentials", false},
		{"list", "", "secrets", "", "", false},
		{"delete", "", "secrets", "shop", "app-credentials", false},
		// Patching the caBundle is the built-in certificate overlay's grant, not base's.
		{"patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "meshprobe", false},
		{"patch", "", "pods", "shop", "", false},
		{"create", "", "pods", "shop", "", false},
		{"delete", "", "pods", "meshprobe-system", "", false},
		{"create", "coordination.k8s.io", "leases", "shop", "", false},
		{"update", "coordination.k8s.io", "leases", "meshprobe-system", "other", false},
		{"list", "coordination.k8s.io", "leases", "meshprobe-system", "", false},
		// The rollout restart is the repair overlay's grant (manifests/overlays/repair).
		{"patch", "apps", "deployments", "shop", "", false},
		{"patch", "apps", "statefulsets", "shop", "", false},
		{"patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "other", false},
		{"create", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", false},
		{"patch", "apps", "daemonsets", "shop", "", false},
		{"delete", "apps", "deployments", "shop", "", false},
		{"create", "", "configmaps", "shop", "", false},
		{"update", "", "configmaps", "meshprobe-system", "other", false},
		{"update", "", "configmaps", "shop", "meshprobe-cluster-checks", false},
		{"delete", "", "configmaps", "meshprobe-system", "meshprobe-cluster-checks", false},
		{"get", "", "nodes", "", "", false},
		{"create", "rbac.authorization.k8s.io", "clusterroles", "", "", false},
		{"create", "", "pods/exec", "shop", "", false},
	}
	for _, tt := range tests {
		name := strings.Join([]string{tt.verb, tt.group, tt.resource, tt.namespace, tt.name}, " ")
		t.Run(name, func(t *testing.T) {
			sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:   sa,
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:meshprobe-system", "system:authenticated"},
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Verb: tt.verb, Group: tt.group, Resource: strings.Split(tt.resource, "/")[0],
					Subresource: subresource(tt.resource), Namespace: tt.namespace, Name: tt.name,
				},
			}}
			got, err := env.Client.AuthorizationV1().SubjectAccessReviews().Create(t.Context(), sar, metav1.CreateOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.allowed, got.Status.Allowed, "reason: %s", got.Status.Reason)
		})
	}
}

func applyNamespaces(t *testing.T, a *applier, objs []manifestObject) {
	t.Helper()
	for _, o := range objs {
		if o.obj.GetKind() == "Namespace" {
			require.NoError(t, a.apply(t, o.obj, o.namespace, false), o.file)
		}
	}
}

func subresource(resource string) string {
	if _, sub, ok := strings.Cut(resource, "/"); ok {
		return sub
	}
	return ""
}
