package gossipkeys

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

func ns(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func TestWantCopies(t *testing.T) {
	cfg := DefaultConfig()
	enabled := map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled}
	mesh := map[string]string{contract.LabelMesh: contract.NamespaceMeshEnabled}
	gone := ns("leaving", enabled)
	gone.DeletionTimestamp = &metav1.Time{}
	nss := []*corev1.Namespace{
		ns("labelled", enabled), ns("mesh", mesh), ns("members", nil), ns("plain", nil),
		ns("disabled", map[string]string{contract.LabelInject: "disabled"}),
		ns("checks-only", map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled, contract.LabelMesh: contract.NamespaceMeshDisabled}),
		ns("both", map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled, contract.LabelMesh: contract.NamespaceMeshEnabled}),
		ns("mesh-typo", map[string]string{contract.LabelMesh: "true"}),
		ns(cfg.Namespace, enabled), ns("kube-system", mesh), gone,
	}
	got := cfg.wantCopies(nss)
	assert.Equal(t, []string{"both", "labelled", "mesh"}, slices.Sorted(maps.Keys(got)),
		"only namespace labels an admin set decide; pods (as in members) never do")
}

func TestCopyForAndUpdated(t *testing.T) {
	keys := gossip.Keys{testKey(1)}
	src := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "meshprobe-system", Name: contract.GossipKeySecretName},
		Data: map[string][]byte{contract.GossipKeySecretKey: encodeKeys(keys)}}
	owner := &metav1.OwnerReference{APIVersion: "v1", Kind: "Namespace", Name: "meshprobe-system", UID: "u1"}
	want := copyFor(src, keys, "team", owner)
	assert.Equal(t, "team", want.Namespace)
	assert.True(t, isCopy(want))
	assert.Equal(t, "meshprobe-system/"+contract.GossipKeySecretName, want.Annotations[AnnotationSource])
	assert.Equal(t, gossip.Fingerprint(keys[0]), want.Annotations[AnnotationPrimary])
	assert.Equal(t, []metav1.OwnerReference{*owner}, want.OwnerReferences)

	cur := want.DeepCopy()
	cur.Labels["team-label"] = "kept"
	assert.Nil(t, updated(cur, want), "extra labels are no reason to write")

	cur.Data[contract.GossipKeySecretKey] = []byte("tampered")
	cur.Data["extra"] = []byte("x")
	next := updated(cur, want)
	require.NotNil(t, next)
	assert.Equal(t, want.Data, next.Data)
	assert.Equal(t, "kept", next.Labels["team-label"])
	assert.Equal(t, "tampered", string(cur.Data[contract.GossipKeySecretKey]), "the cached object is not modified")

	noOwner := copyFor(src, keys, "team", nil)
	assert.Empty(t, noOwner.OwnerReferences)
	assert.False(t, isCopy(&corev1.Secret{}))
}

func TestEncodeKeysRoundTrip(t *testing.T) {
	keys := gossip.Keys{testKey(1), testKey(2)}
	s := &corev1.Secret{Data: map[string][]byte{contract.GossipKeySecretKey: encodeKeys(keys)}}
	got, err := secretKeys(s)
	require.NoError(t, err)
	assert.Equal(t, keys, got)
	_, err = secretKeys(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "n", Name: "s"}})
	assert.ErrorContains(t, err, `Secret n/s has no data key "keys"`)
	_, err = secretKeys(&corev1.Secret{Data: map[string][]byte{contract.GossipKeySecretKey: []byte("not base64!")}})
	assert.ErrorContains(t, err, "not base64")
}
