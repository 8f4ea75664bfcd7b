package charts_test

import (
	"bytes"
	"io"
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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

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
		for name, vals := range map[string]map[string]any{"default": nil, "all": allToggles()} {
			t.Run(name, func(t *testing.T) { require.NoError(t, dryRunApply(t, env, render(t, vals))) })
		}
		// The check can fail: the apiserver refuses an invalid quantity.
		bad := render(t, map[string]any{"webhook": map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": "lots"}}}})
		assert.ErrorContains(t, dryRunApply(t, env, bad), "quantities must match")
	})
	t.Run("helm takes over a kustomize install", func(t *testing.T) { testTakeOver(t, env) })
}

// testTakeOver applies `kubectl kustomize manifests/` for real, then installs the
// chart over it with --take-ownership, as the README says to move to Helm.
func testTakeOver(t *testing.T, env *testenv.Env) {
	kc := kube.New(restClientGetter(env, releaseNamespace))
	resources, err := kc.Build(yamlStream(t, install.RenderForTest(t, manifestsDir)), true)
	require.NoError(t, err)
	_, err = kc.Create(resources, kube.ClientCreateOptionServerSideApply(true, true))
	require.NoError(t, err, "kubectl apply -k manifests/")

	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	require.NoError(t, cfg.Init(restClientGetter(env, releaseNamespace), releaseNamespace, "secret"))
	ch, err := loader.Load(chartDir)
	require.NoError(t, err)
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace = "meshprobe", releaseNamespace
	inst.WaitStrategy = kube.HookOnlyStrategy
	_, err = inst.RunWithContext(t.Context(), ch, nil)
	require.ErrorContains(t, err, "cannot be imported into the current release", "without --take-ownership")
	inst.TakeOwnership = true
	_, err = inst.RunWithContext(t.Context(), ch, nil)
	require.NoError(t, err, "helm install --take-ownership")
	mwc, err := env.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(t.Context(), "meshprobe", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "Helm", mwc.Labels["app.kubernetes.io/managed-by"])
	assert.Equal(t, "meshprobe", mwc.Annotations["meta.helm.sh/release-name"])
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
	require.NoError(t, cfg.Init(restClientGetter(env, ns), ns, "secret"))
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

// dryRunApply server-side-applies objs with Helm's Kubernetes client as a dry
// run, after creating their Namespaces for real (a dry-run object cannot go into
// a dry-run namespace). prometheus-operator's kinds are skipped: the apiserver has
// no CRDs for them.
func dryRunApply(t *testing.T, env *testenv.Env, objs []*unstructured.Unstructured) error {
	t.Helper()
	kc := kube.New(restClientGetter(env, releaseNamespace))
	var namespaces, rest []*unstructured.Unstructured
	for _, o := range objs {
		switch {
		case o.GroupVersionKind().Group == "monitoring.coreos.com":
			t.Logf("skipped %s %s: no prometheus-operator CRDs", o.GetKind(), o.GetName())
		case o.GetKind() == "Namespace":
			namespaces = append(namespaces, o)
		default:
			rest = append(rest, o)
		}
	}
	for _, step := range []struct {
		objs   []*unstructured.Unstructured
		dryRun bool
	}{{namespaces, false}, {rest, true}} {
		resources, err := kc.Build(yamlStream(t, step.objs), true)
		if err != nil {
			return err
		}
		require.Len(t, resources, len(step.objs))
		if _, err = kc.Create(resources, kube.ClientCreateOptionServerSideApply(true, true), kube.ClientCreateOptionDryRun(step.dryRun)); err != nil {
			return err
		}
	}
	return nil
}

// yamlStream is objs as one multi-document YAML stream.
func yamlStream(t *testing.T, objs []*unstructured.Unstructured) io.Reader {
	t.Helper()
	var b bytes.Buffer
	for _, o := range objs {
		data, err := yaml.Marshal(o.Object)
		require.NoError(t, err)
		b.WriteString("---\n")
		b.Write(data)
	}
	return &b
}

// restClientGetter is the kubeconfig of env for Helm, with namespace as the default.
func restClientGetter(env *testenv.Env, namespace string) *genericclioptions.ConfigFlags {
	getter := genericclioptions.NewConfigFlags(false)
	getter.KubeConfig = &env.KubeconfigPath
	getter.Namespace = &namespace
	return getter
}
