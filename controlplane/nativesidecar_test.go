package controlplane

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes/fake"
)

func TestSupportsNativeSidecar(t *testing.T) {
	tests := []struct {
		info version.Info
		want bool
	}{
		{version.Info{GitVersion: "v1.28.9"}, false},
		{version.Info{GitVersion: "v1.29.0"}, true},
		{version.Info{GitVersion: "v1.37.2"}, true},
		{version.Info{GitVersion: "v1.30.4-eks-a737599"}, true},
		{version.Info{GitVersion: "v1.27.3+k3s1"}, false},
		{version.Info{GitVersion: "weird", Major: "1", Minor: "29+"}, true},
		{version.Info{GitVersion: "v0.0.0-master+$Format:%H$"}, true},
		{version.Info{GitVersion: "weird", Major: "1", Minor: "26"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.info.GitVersion+"/"+tt.info.Minor, func(t *testing.T) {
			got, err := supportsNativeSidecar(&tt.info)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := supportsNativeSidecar(&version.Info{GitVersion: "weird", Major: "x"})
	require.ErrorContains(t, err, `cannot parse server version "weird"`)
}

func TestResolveNativeSidecarModes(t *testing.T) {
	on, _, err := resolveNativeSidecar("true", "")
	require.NoError(t, err)
	assert.True(t, on)
	off, _, err := resolveNativeSidecar("false", "")
	require.NoError(t, err)
	assert.False(t, off)
	_, _, err = resolveNativeSidecar("yes", "")
	require.ErrorContains(t, err, `--native-sidecar "yes": want auto, true or false`)
}

func TestNodeKubeletsSupport(t *testing.T) {
	node := func(name, kubelet string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: kubelet}}}
	}
	ok, detail := nodeKubeletsSupport(t.Context(), fake.NewClientset(node("a", "v1.31.2"), node("b", "v1.29.0")))
	assert.True(t, ok)
	assert.Empty(t, detail)

	ok, detail = nodeKubeletsSupport(t.Context(), fake.NewClientset(node("a", "v1.31.2"), node("old", "v1.28.3")))
	assert.False(t, ok, "one kubelet older than 1.29 turns native sidecars off")
	assert.Equal(t, ", kubelet v1.28.3 on old", detail)
}
