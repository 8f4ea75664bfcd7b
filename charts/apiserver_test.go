package charts_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestChartOnAPIServer puts the chart into a real kube-apiserver and etcd with
// cert-manager's CRDs: a Helm install as the README's `helm upgrade -i ...
// --create-namespace` does it, an upgrade that turns the toggles on and an
// uninstall; then the rendered chart, with default values and every toggle on,
// server-side applied as a dry run. prometheus-operator's CRDs are not
// installed: its objects are skipped.
func TestChartOnAPIServer(t *testing.T) {
	env := testenv.Start(t)
	installCertManagerCRDs(t, env)
	t.Run("helm install, upgrade, uninstall", func(t *testing.T) { testHelmLifecycle(t, env) })
	t.Run("dry-run", func(t *testing.T) {
		d := newDryRunner(t, env)
		for name, vals := range map[string]map[string]any{"default": nil, "all": allToggles()} {
			t.Run(name, func(t *testing.T) { d.applyAll(t, render(t, vals)) })
		}
	})
}

// installCertManagerCRDs applies the CRDs shipped in the cert-manager module and
// waits until the apiserver serves them.
func installCertManagerCRDs(t *testing.T, env *testenv.Env) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "go", "list", "-m", "-f", "{{.Dir}}", "github.com/cert-manager/cert-manager").Output()
	require.NoError(t, err, "locating the cert-manager module")
	files, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "deploy", "crds", "*.yaml"))
	require.NoError(t, err)
	var crds []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		objs, err := install.Decode(data)
		require.NoError(t, err, f)
		crds = append(crds, objs...)
	}
	require.NotEmpty(t, crds)
	require.NoError(t, install.Apply(t.Context(), env.Config, crds, install.Options{}))
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := dc.ServerResourcesForGroupVersion("cert-manager.io/v1")
		return err == nil
	}, time.Minute, 200*time.Millisecond, "cert-manager.io/v1 never served")
}

// testHelmLifecycle installs the chart with Helm's Go API into a namespace of its
// own that does not exist yet, upgrades it with the toggles on (but monitoring)
// and uninstalls it.
func testHelmLifecycle(t *testing.T, env *testenv.Env) {
	const ns = "meshprobe-helm"
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	getter := genericclioptions.NewConfigFlags(false)
	getter.KubeConfig = &env.KubeconfigPath
	getter.Namespace = new(ns)
	require.NoError(t, cfg.Init(getter, ns, "secret"))
	ch, err := loader.Load(chartDir)
	require.NoError(t, err)

	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = "meshprobe", ns, true
	inst.WaitStrategy = kube.HookOnlyStrategy
	_, err = inst.RunWithContext(t.Context(), ch, map[string]any{"namespace": ns})
	require.NoError(t, err, "helm install --create-namespace of a chart that has its Namespace")
	dyn, err := dynamic.NewForConfig(env.Config)
	require.NoError(t, err)
	deployments := dyn.Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}).Namespace(ns)
	dep, err := deployments.Get(t.Context(), "meshprobe-webhook", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "Helm", dep.GetLabels()["app.kubernetes.io/managed-by"])

	up := action.NewUpgrade(cfg)
	up.Namespace = ns
	up.WaitStrategy = kube.HookOnlyStrategy
	vals := allToggles()
	delete(vals, "monitoring")
	vals["namespace"] = ns
	_, err = up.RunWithContext(t.Context(), "meshprobe", ch, vals)
	require.NoError(t, err, "helm upgrade with the toggles on")
	dep, err = deployments.Get(t.Context(), "meshprobe-webhook", metav1.GetOptions{})
	require.NoError(t, err)
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	assert.Subset(t, args, []string{"--webhook-certs=builtin", "--repair-missed=restart"})
	clusterRoles := dyn.Resource(schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"})
	_, err = clusterRoles.Get(t.Context(), "meshprobe-repair", metav1.GetOptions{})
	require.NoError(t, err, "the repair toggle's ClusterRole")

	un := action.NewUninstall(cfg)
	un.WaitStrategy = kube.HookOnlyStrategy
	_, err = un.Run("meshprobe")
	require.NoError(t, err, "helm uninstall")
	for _, name := range []string{"meshprobe", "meshprobe-repair", "meshprobe-builtin-certs"} {
		_, err = clusterRoles.Get(t.Context(), name, metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err), "ClusterRole %s after uninstall: %v", name, err)
	}
}

// dryRunner server-side-applies objects as a dry run.
type dryRunner struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

func newDryRunner(t *testing.T, env *testenv.Env) *dryRunner {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(env.Config)
	require.NoError(t, err)
	return &dryRunner{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// applyAll creates objs' Namespaces for real (a dry-run object cannot go into a
// dry-run namespace) and dry-run-applies the rest; only monitoring.coreos.com
// objects may be unknown to the apiserver.
func (d *dryRunner) applyAll(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, real := range []bool{true, false} {
		for _, o := range objs {
			if (o.GetKind() == "Namespace") != real {
				continue
			}
			err := d.apply(t, o, !real)
			if meta.IsNoMatchError(err) && o.GroupVersionKind().Group == "monitoring.coreos.com" {
				t.Logf("skipped %s %s: no prometheus-operator CRDs", o.GetKind(), o.GetName())
				continue
			}
			require.NoError(t, err, "%s %s", o.GetKind(), o.GetName())
		}
	}
}

func (d *dryRunner) apply(t *testing.T, o *unstructured.Unstructured, dryRun bool) error {
	t.Helper()
	gvk := o.GroupVersionKind()
	m, err := d.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = d.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = d.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	data, err := json.Marshal(o.Object)
	require.NoError(t, err)
	opts := metav1.PatchOptions{FieldManager: "meshprobe-chart-test", Force: new(true), FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Patch(t.Context(), o.GetName(), types.ApplyPatchType, data, opts)
	return err
}
