package controlloop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func TestStripManagedFields(t *testing.T) {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "n", Labels: map[string]string{"a": "b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}},
		Data: map[string][]byte{"keys": []byte("k")},
	}
	got, err := StripManagedFields(secret)
	require.NoError(t, err)
	out, ok := got.(*corev1.Secret)
	require.True(t, ok)
	assert.Nil(t, out.ManagedFields)
	assert.Equal(t, "s", out.Name)
	assert.Equal(t, map[string]string{"a": "b"}, out.Labels)
	assert.Equal(t, []byte("k"), out.Data["keys"], "the content stays")

	tombstone := cache.DeletedFinalStateUnknown{Key: "n/s", Obj: secret}
	got, err = StripManagedFields(tombstone)
	require.NoError(t, err)
	assert.Equal(t, tombstone, got, "what has no metadata passes through")
}
