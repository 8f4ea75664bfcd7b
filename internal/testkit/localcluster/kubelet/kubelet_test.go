package kubelet

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestFormatMapMatchesTheKubelet(t *testing.T) {
	got := formatMap(map[string]string{"b": `say "hi"`, "a": "1\n2"})
	assert.Equal(t, "a=\"1\\n2\"\nb=\"say \\\"hi\\\"\"", got)
	assert.Empty(t, formatMap(nil))
}

func TestExpand(t *testing.T) {
	env := map[string]string{"NODE": "n1", "EMPTY": ""}
	tests := map[string]string{
		"web-$(NODE)":    "web-n1",
		"$(MISSING)-x":   "$(MISSING)-x",
		"$$(NODE)":       "$(NODE)",
		"a$(EMPTY)b":     "ab",
		"unclosed $(NOD": "unclosed $(NOD",
		"plain $ sign":   "plain $ sign",
	}
	for in, want := range tests {
		assert.Equal(t, want, expand(in, env), in)
	}
}

func TestFieldValue(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u1",
			Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"a": "b"}},
		Spec:   corev1.PodSpec{NodeName: "n1"},
		Status: corev1.PodStatus{PodIP: "10.0.0.2"},
	}
	for path, want := range map[string]string{
		"metadata.name": "p", "metadata.uid": "u1", "spec.nodeName": "n1", "status.podIP": "10.0.0.2",
		"metadata.labels['app']": "web", "metadata.annotations['a']": "b", "metadata.labels": `app="web"`,
	} {
		got, err := fieldValue(pod, path)
		require.NoError(t, err, path)
		assert.Equal(t, want, got, path)
	}
	_, err := fieldValue(pod, "spec.bogus")
	assert.ErrorContains(t, err, `field path "spec.bogus" not supported`)
}

func TestImages(t *testing.T) {
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "meshprobe-sidecar"), []byte("#!/bin/true\n"), 0o755))
	im := Images{BinDir: bin, Helper: "/helper"}
	tests := []struct {
		name     string
		c        corev1.Container
		exe      string
		args     []string
		errorHas string
	}{
		{"tagged image", corev1.Container{Image: "ghcr.io/meshprobe/meshprobe-sidecar:v1", Args: []string{"-x"}}, filepath.Join(bin, "meshprobe-sidecar"), []string{"-x"}, ""},
		{"digest and registry port", corev1.Container{Image: "reg:5000/meshprobe-sidecar@sha256:ab"}, filepath.Join(bin, "meshprobe-sidecar"), nil, ""},
		{"own command", corev1.Container{Image: "meshprobe-sidecar", Command: []string{"/meshprobe-sidecar", "--a"}, Args: []string{"--b"}}, filepath.Join(bin, "meshprobe-sidecar"), []string{"--a", "--b"}, ""},
		{"foreign command", corev1.Container{Image: "meshprobe-sidecar", Command: []string{"sh"}}, "", nil, "only the image's own binary"},
		{"missing binary", corev1.Container{Image: "nginx:1.27"}, "", nil, "image not available locally"},
		{"test app", corev1.Container{Image: TestAppImage + ":e2e", Args: []string{"--listen=:9"}}, "/helper", []string{"testapp", "--listen=:9"}, ""},
		{"crashing test app", corev1.Container{Image: TestAppImage + ":crash"}, "/helper", []string{"testapp", "--crash"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exe, args, err := im.Resolve(&tt.c)
			if tt.errorHas != "" {
				require.ErrorContains(t, err, tt.errorHas)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.exe, exe)
			assert.Equal(t, tt.args, args)
		})
	}
}

// Volumes are swapped in whole: the visible file changes only through ..data.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	wrote, err := writeAtomic(dir, map[string]file{"labels": {data: []byte("a"), mode: 0o644}, "sub/x": {data: []byte("x"), mode: 0o400}})
	require.NoError(t, err)
	assert.True(t, wrote)
	data, err := os.ReadFile(filepath.Join(dir, "labels"))
	require.NoError(t, err)
	assert.Equal(t, "a", string(data))
	wrote, err = writeAtomic(dir, map[string]file{"labels": {data: []byte("a"), mode: 0o644}, "sub/x": {data: []byte("x"), mode: 0o400}})
	require.NoError(t, err)
	assert.False(t, wrote, "unchanged payload is not rewritten")
	_, err = writeAtomic(dir, map[string]file{"labels": {data: []byte("b"), mode: 0o644}})
	require.NoError(t, err)
	data, _ = os.ReadFile(filepath.Join(dir, "labels"))
	assert.Equal(t, "b", string(data))
	_, err = os.Lstat(filepath.Join(dir, "sub"))
	assert.True(t, os.IsNotExist(err), "entries no longer in the payload are removed")
	st, err := os.Stat(filepath.Join(dir, "labels"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}
