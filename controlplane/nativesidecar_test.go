package controlplane

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/version"
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
