package gossipkeys

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestDistribution runs the task against a real kube-apiserver and etcd:
// namespaces get copies of the key when an admin opted them in (injection
// enabled, or meshprobe.io/mesh=enabled), never because of a pod's labels, and
// lose them when they are no longer opted in.
func TestDistribution(t *testing.T) {
	env := testenv.Start(t)
	client := env.Client
	enabled := map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}
	cfg := fastConfig()
	createNamespace(t, client, cfg.Namespace, nil)
	createNamespace(t, client, "labelled", enabled)
	createNamespace(t, client, "mesh", map[string]string{contract.LabelMesh: contract.NamespaceMeshEnabled})
	createNamespace(t, client, "members", nil)
	createNamespace(t, client, "plain", nil)
	createNamespace(t, client, "foreign", enabled)
	createMemberPod(t, client, "members", "app-0", false)
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: contract.GossipKeySecretName},
		Data: map[string][]byte{contract.GossipKeySecretKey: []byte("somebody else's")}}
	_, err := client.CoreV1().Secrets("foreign").Create(t.Context(), foreign, metav1.CreateOptions{})
	require.NoError(t, err)

	runController(t, client, cfg, view{status: gossip.StatusRunning}, "a")

	var src *corev1.Secret
	require.Eventually(t, func() bool { src = secret(t, client, cfg.Namespace); return src != nil }, 20*time.Second, poll,
		"the leader creates the source Secret")
	keys, err := secretKeys(src)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Len(t, keys[0], 32, "an AES-256 key")
	assert.Equal(t, PhaseStable, src.Annotations[AnnotationPhase])
	assert.Equal(t, gossip.Fingerprint(keys[0]), src.Annotations[AnnotationPrimary])
	assert.Equal(t, contract.ManagedBy, src.Labels[contract.LabelManagedBy])

	t.Run("opted-in namespaces get a copy", func(t *testing.T) {
		for _, ns := range []string{"labelled", "mesh"} {
			waitCopy(t, client, ns, src.Data[contract.GossipKeySecretKey])
		}
		// One pass writes every copy, with the member pod already in the cache.
		assert.Nil(t, secret(t, client, "members"), "a member-labelled pod, which any pod author can create, gets its namespace no key")
		cp := secret(t, client, "labelled")
		assert.Equal(t, "true", cp.Labels[contract.LabelGossipKeyCopy])
		assert.Equal(t, cfg.Namespace+"/"+contract.GossipKeySecretName, cp.Annotations[AnnotationSource])
		assert.Equal(t, src.Annotations[AnnotationPrimary], cp.Annotations[AnnotationPrimary])
		require.Len(t, cp.OwnerReferences, 1)
		owner, err := client.CoreV1().Namespaces().Get(t.Context(), cfg.Namespace, metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, owner.UID, cp.OwnerReferences[0].UID, "owned by the control plane's namespace")
		assert.Nil(t, secret(t, client, "plain"))
		assert.Contains(t, eventReasons(t, client, cfg.Namespace, "Secret", contract.GossipKeySecretName), ReasonKeyCreated)
	})

	t.Run("a Secret meshprobe did not make is left alone", func(t *testing.T) {
		require.Eventually(t, func() bool {
			return assert.ObjectsAreEqual([]string{ReasonCopyConflict}, eventReasons(t, client, "", "Namespace", "foreign"))
		}, 10*time.Second, poll)
		assert.Equal(t, "somebody else's", string(secret(t, client, "foreign").Data[contract.GossipKeySecretKey]))
	})

	t.Run("tampered and deleted copies are restored", func(t *testing.T) {
		cp := secret(t, client, "labelled")
		cp.Data[contract.GossipKeySecretKey] = []byte("tampered")
		_, err := client.CoreV1().Secrets("labelled").Update(t.Context(), cp, metav1.UpdateOptions{})
		require.NoError(t, err)
		require.NoError(t, client.CoreV1().Secrets("mesh").Delete(t.Context(), contract.GossipKeySecretName, metav1.DeleteOptions{}))
		waitCopy(t, client, "labelled", src.Data[contract.GossipKeySecretKey])
		waitCopy(t, client, "mesh", src.Data[contract.GossipKeySecretKey])
	})

	t.Run("a namespace labelled later gets one", func(t *testing.T) {
		createNamespace(t, client, "late", enabled)
		waitCopy(t, client, "late", src.Data[contract.GossipKeySecretKey])
	})

	t.Run("an admin opts the member pod's namespace in later", func(t *testing.T) {
		setNamespaceLabel(t, client, "members", contract.LabelMesh, contract.NamespaceMeshEnabled)
		waitCopy(t, client, "members", src.Data[contract.GossipKeySecretKey])
	})

	t.Run("copies go when the namespace is no longer opted in", func(t *testing.T) {
		setNamespaceLabel(t, client, "labelled", contract.LabelInject, "")
		setNamespaceLabel(t, client, "mesh", contract.LabelMesh, "")
		setNamespaceLabel(t, client, "members", contract.LabelMesh, contract.NamespaceMeshDisabled)
		waitNoCopy(t, client, "labelled")
		waitNoCopy(t, client, "mesh")
		waitNoCopy(t, client, "members")
		assert.NotNil(t, secret(t, client, "late"), "a namespace still labelled keeps its copy")
		assert.NotNil(t, secret(t, client, "foreign"), "the foreign Secret is never deleted")
	})

	t.Run("an unusable source is reported and not distributed", func(t *testing.T) {
		good := secret(t, client, cfg.Namespace)
		bad := good.DeepCopy()
		bad.Data[contract.GossipKeySecretKey] = []byte("not-a-key\n")
		_, err := client.CoreV1().Secrets(cfg.Namespace).Update(t.Context(), bad, metav1.UpdateOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			return slices.Contains(eventReasons(t, client, cfg.Namespace, "Secret", contract.GossipKeySecretName), ReasonInvalidKey)
		}, 10*time.Second, poll)
		time.Sleep(time.Second)
		assert.Equal(t, src.Data[contract.GossipKeySecretKey], secret(t, client, "late").Data[contract.GossipKeySecretKey],
			"copies keep the last good key")
	})

	t.Run("a deleted source is generated again and distributed", func(t *testing.T) {
		require.NoError(t, client.CoreV1().Secrets(cfg.Namespace).Delete(t.Context(), contract.GossipKeySecretName, metav1.DeleteOptions{}))
		var fresh *corev1.Secret
		require.Eventually(t, func() bool {
			fresh = secret(t, client, cfg.Namespace)
			return fresh != nil && !bytes.Equal(fresh.Data[contract.GossipKeySecretKey], src.Data[contract.GossipKeySecretKey])
		}, 10*time.Second, poll)
		waitCopy(t, client, "late", fresh.Data[contract.GossipKeySecretKey])
	})
}

// setNamespaceLabel sets a label on a namespace, or removes it when value is empty.
func setNamespaceLabel(t *testing.T, client kubernetes.Interface, name, key, value string) {
	t.Helper()
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{key: nilIfEmpty(value)}}})
	require.NoError(t, err)
	_, err = client.CoreV1().Namespaces().Patch(t.Context(), name, types.MergePatchType, patch, metav1.PatchOptions{})
	require.NoError(t, err)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func waitCopy(t *testing.T, client kubernetes.Interface, ns string, want []byte) {
	t.Helper()
	require.Eventually(t, func() bool {
		s := secret(t, client, ns)
		return s != nil && bytes.Equal(s.Data[contract.GossipKeySecretKey], want)
	}, 10*time.Second, poll, "namespace %s holds the current key", ns)
}

func waitNoCopy(t *testing.T, client kubernetes.Interface, ns string) {
	t.Helper()
	require.Eventually(t, func() bool { return secret(t, client, ns) == nil }, 10*time.Second, poll, "namespace %s lost its copy", ns)
}
