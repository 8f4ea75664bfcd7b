//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/meshprobe/meshprobe/integrations/gossipkeys"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

// overlayDir is the kustomization the suite installed (relative to e2e/).
const overlayDir = "testdata/overlay"

// eventComponents are the Event sources of meshprobe's control plane, as
// hack/uninstall.sh lists them.
var eventComponents = []string{"meshprobe-webhook", "meshprobe-webhook-certs", "meshprobe-gossip-keys",
	"meshprobe-thousandeyes", "meshprobe-member-verify", "meshprobe-missed-injections"}

// hack/uninstall.sh (make uninstall) removes meshprobe while pods are being
// created: no creation waits on or fails at the webhook (its configuration goes
// first), injected pods keep running untouched, new pods start without the
// sidecar, and nothing meshprobe made is left but what the script documents. The
// suite's install is restored afterwards (a reinstall, which must work too).
func TestUninstall(t *testing.T) {
	ctx := t.Context()
	kubeconfig := suiteKubeconfig(t)
	ns := newNamespace(t, true)
	deployApp(t, ns, appSpec{name: "keep", replicas: 2, spread: true})
	pods := waitReadyPods(t, ns, "app=keep", 2, 2*time.Minute)
	for _, p := range pods {
		require.True(t, hasSidecar(&p), "%s is injected", p.Name)
	}
	waitGossipKeyCopy(t, ns)
	conflict := makeCopyConflict(t)
	before := containerIDs(pods)
	failOpen := webhookFailOpen(t)

	t.Cleanup(func() { reinstall(t, ns) })
	pending := startChurn(t, ns, 250*time.Millisecond)
	out, err := runUninstall(ctx, kubeconfig)
	admissions := pending.finish()
	t.Logf("hack/uninstall.sh:\n%s", out)
	require.NoError(t, err)

	t.Run("no pod creation waits or fails", func(t *testing.T) {
		failed, injected, plain, slowest := summarize(admissions)
		t.Logf("%d pods created during the uninstall: %d injected, %d uninjected; slowest %s",
			len(admissions), injected, plain, slowest.Round(time.Millisecond))
		assert.Empty(t, failed)
		assert.Zero(t, webhookFailOpen(t)-failOpen, "the API server never called a webhook that was gone")
		assert.Less(t, slowest, 5*time.Second, "no creation waited for the webhook's timeout (5 s)")
	})

	t.Run("injected pods keep running", func(t *testing.T) {
		after := waitReadyPods(t, ns, "app=keep", 2, 10*time.Second)
		assert.Equal(t, before, containerIDs(after), "same containers, no restart")
		for _, p := range after {
			assert.True(t, hasSidecar(&p), "%s keeps its sidecar", p.Name)
		}
	})

	t.Run("new pods start without the sidecar", func(t *testing.T) {
		_, err := suite.client.CoreV1().Pods(ns).Create(ctx, bareAppPod("after", nil), metav1.CreateOptions{})
		require.NoError(t, err)
		p := waitReadyPods(t, ns, "app=after", 1, time.Minute)[0]
		assert.False(t, hasSidecar(&p))
		assert.Empty(t, p.Annotations[contract.AnnotationInjected])
		assert.Empty(t, p.Labels[contract.LabelMember])
	})

	t.Run("nothing of meshprobe is left", func(t *testing.T) {
		assertRenderedGone(t)
		secrets, err := suite.client.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: contract.LabelGossipKeyCopy})
		require.NoError(t, err)
		assert.Empty(t, secrets.Items, "gossip-key copies")
		leaders, err := suite.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: contract.LabelRole})
		require.NoError(t, err)
		assert.Empty(t, leaders.Items, "pods labelled %s", contract.LabelRole)
		_, err = suite.client.CoordinationV1().Leases(contract.DefaultNamespace).Get(ctx, contract.LeaseName, metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err), "the Lease is gone: %v", err)
		assert.Empty(t, meshprobeEvents(t), "Events recorded by meshprobe")
		_, err = suite.client.CoreV1().Secrets(conflict).Get(ctx, contract.GossipKeySecretName, metav1.GetOptions{})
		assert.NoError(t, err, "a Secret of that name that meshprobe did not make is left alone")
	})

	t.Run("a second run finds nothing and succeeds", func(t *testing.T) {
		out, err := runUninstall(ctx, kubeconfig)
		assert.NoError(t, err, "%s", out)
	})
}

// runUninstall runs hack/uninstall.sh on the suite's install.
func runUninstall(ctx context.Context, kubeconfig string) (string, error) {
	cmd := exec.CommandContext(ctx, "../hack/uninstall.sh", overlayDir)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "TIMEOUT=3m")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func suiteKubeconfig(t *testing.T) string {
	t.Helper()
	_, err := exec.LookPath("kubectl")
	require.NoError(t, err, "hack/uninstall.sh needs kubectl")
	if suite.local != nil {
		return suite.local.Kubeconfig
	}
	return os.Getenv(EnvKubeconfig)
}

// containerIDs maps each container of pods to its ID and restart count.
func containerIDs(pods []corev1.Pod) map[string]string {
	out := map[string]string{}
	for _, p := range pods {
		for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			out[p.Name+"/"+s.Name] = fmt.Sprintf("%s restarts=%d", s.ContainerID, s.RestartCount)
		}
	}
	return out
}

// waitGossipKeyCopy waits for the leader's copy of the gossip key in ns.
func waitGossipKeyCopy(t *testing.T, ns string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		s, err := suite.client.CoreV1().Secrets(ns).Get(t.Context(), contract.GossipKeySecretName, metav1.GetOptions{})
		require.NoError(c, err)
		assert.Equal(c, "true", s.Labels[contract.LabelGossipKeyCopy])
	}, time.Minute, time.Second)
}

// makeCopyConflict opts a namespace into the mesh that already holds a Secret named
// like the gossip key but not made by meshprobe: the leader leaves it alone and
// reports it with a GossipKeyCopyConflict Event (on the Namespace, so in the
// default namespace), an Event of meshprobe's outside its own namespace.
func makeCopyConflict(t *testing.T) string {
	t.Helper()
	ns := newNamespace(t, false)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: contract.GossipKeySecretName},
		StringData: map[string]string{"keys": "not meshprobe's"}}
	_, err := suite.client.CoreV1().Secrets(ns).Create(t.Context(), s, metav1.CreateOptions{})
	require.NoError(t, err)
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, contract.LabelMesh, contract.NamespaceMeshEnabled)
	_, err = suite.client.CoreV1().Namespaces().Patch(t.Context(), ns, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Contains(c, strings.Join(meshprobeEvents(t), "\n"), gossipkeys.ReasonCopyConflict)
	}, time.Minute, time.Second, "meshprobe reports the conflict in %s", ns)
	return ns
}

// meshprobeEvents lists the Events meshprobe's components recorded outside its
// own namespace (which goes as a whole).
func meshprobeEvents(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range eventComponents {
		list, err := suite.client.CoreV1().Events("").List(t.Context(), metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("source", c).String(),
		})
		require.NoError(t, err)
		for _, e := range list.Items {
			if e.Namespace != contract.DefaultNamespace {
				out = append(out, e.Namespace+"/"+e.Name+": "+e.Reason)
			}
		}
	}
	return out
}

// assertRenderedGone checks that every object of the suite's kustomization is
// gone (kinds the cluster does not serve, like cert-manager's here, cannot exist).
func assertRenderedGone(t *testing.T) {
	t.Helper()
	objs, err := install.Render(t.Context(), overlayDir)
	require.NoError(t, err)
	dc, err := discovery.NewDiscoveryClientForConfig(suite.config)
	require.NoError(t, err)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(suite.config)
	require.NoError(t, err)
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			continue
		}
		require.NoError(t, err)
		ri := dyn.Resource(m.Resource)
		var getErr error
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			_, getErr = ri.Namespace(o.GetNamespace()).Get(t.Context(), o.GetName(), metav1.GetOptions{})
		} else {
			_, getErr = ri.Get(t.Context(), o.GetName(), metav1.GetOptions{})
		}
		assert.True(t, apierrors.IsNotFound(getErr), "%s %s/%s is gone (%v)", gvk.Kind, o.GetNamespace(), o.GetName(), getErr)
	}
}

// reinstall puts the suite's install back, as the suite started it: on the local
// cluster with a local CA in place of cert-manager (install.Apply), elsewhere
// with kubectl apply -k (cert-manager is installed there); then waits until the
// webhook injects pods in ns again.
func reinstall(t *testing.T, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if suite.local != nil {
		objs, err := install.Render(ctx, overlayDir)
		require.NoError(t, err)
		ca, err := controlplane.NewCA("meshprobe-e2e-reinstall-ca", 24*time.Hour)
		require.NoError(t, err)
		require.NoError(t, install.Apply(ctx, suite.config, objs, install.Options{CA: ca}))
	} else {
		out, err := exec.CommandContext(ctx, "kubectl", "--kubeconfig", suiteKubeconfig(t), "apply", "-k", overlayDir).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	waitInjecting(t, ctx, ns)
}

// waitInjecting waits until a pod created (server-side dry run) in ns, an
// injecting namespace, gets the sidecar: the webhook is registered, trusted and served.
func waitInjecting(t *testing.T, ctx context.Context, ns string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		p, err := suite.client.CoreV1().Pods(ns).Create(ctx, bareAppPod("probe", nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		require.NoError(c, err)
		assert.True(c, hasSidecar(p), "a new pod is injected")
	}, 3*time.Minute, time.Second)
}
