package sidecar

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePodInfoFile(t *testing.T) {
	data, err := os.ReadFile("testdata/annotations")
	require.NoError(t, err)
	got, err := ParsePodInfoFile(data)
	require.NoError(t, err)
	assert.Equal(t, "- name: api\n  type: http\n  url: http://localhost:8080/healthz\n", got["meshprobe.io/checks"])
	assert.Equal(t, `say "hi"`, got["example.com/quoted"])
	assert.Equal(t, "", got["empty"])
	assert.Len(t, got, 4)
}

func TestParsePodInfoFileErrors(t *testing.T) {
	tests := []struct{ name, in, err string }{
		{"no equals", "novalue\n", `line 1: want key="value"`},
		{"empty key", `="x"`, `line 1: want key="value"`},
		{"unquoted", "a=b\n", `line 1: value of "a" is not a quoted string`},
		{"bad escape", "a=\"ok\"\nb=\"\\q\"\n", `line 2: value of "b" is not a quoted string`},
		{"backquoted", "a=`raw`", `line 1: value of "a" is not a quoted string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePodInfoFile([]byte(tt.in))
			require.EqualError(t, err, tt.err)
		})
	}
}

func FuzzParsePodInfoFile(f *testing.F) {
	f.Add([]byte("app=\"web\"\nmeshprobe.io/checks=\"- name: x\\n\"\n"))
	f.Add([]byte("a=b"))
	f.Add([]byte("=\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParsePodInfoFile(data)
		if err != nil {
			return
		}
		for k := range got {
			if k == "" || strings.Contains(k, "\n") {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}

func TestPodInfoApp(t *testing.T) {
	assert.Equal(t, "a", PodInfo{Labels: map[string]string{"app.kubernetes.io/name": "a", "app": "b"}}.App())
	assert.Equal(t, "b", PodInfo{Labels: map[string]string{"app": "b"}}.App())
	assert.Equal(t, "1.0", PodInfo{Labels: map[string]string{"app.kubernetes.io/version": "1.0"}}.Version())
}

func TestPodInfoWatchSeesAtomicSwaps(t *testing.T) {
	dir := t.TempDir()
	atomicWrite(t, dir, map[string]string{"labels": "app=\"v1\"\n", "annotations": ""})
	r := &podInfoReader{dir: dir}
	info, changed, err := r.read()
	require.NoError(t, err)
	require.True(t, changed)
	assert.Equal(t, "v1", info.App())

	changes := make(chan PodInfo, 4)
	errs := make(chan error, 4)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go r.watch(ctx, 10*time.Millisecond, func(p PodInfo) { changes <- p }, func(err error) { errs <- err })

	atomicWrite(t, dir, map[string]string{"labels": "app=\"v2\"\n", "annotations": "meshprobe.io/checks=\"[]\"\n"})
	select {
	case got := <-changes:
		assert.Equal(t, "v2", got.App())
		assert.Equal(t, "[]", got.Checks())
	case <-time.After(5 * time.Second):
		t.Fatal("the symlink swap was not seen")
	}

	atomicWrite(t, dir, map[string]string{"labels": "broken\n", "annotations": ""})
	select {
	case err := <-errs:
		assert.EqualError(t, err, `sidecar: podinfo labels: line 1: want key="value"`)
	case <-time.After(5 * time.Second):
		t.Fatal("the broken file was not reported")
	}
	select {
	case got := <-changes:
		t.Fatalf("a broken file must not be applied: %+v", got)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestPodInfoMissingFilesReadEmpty(t *testing.T) {
	r := &podInfoReader{dir: filepath.Join(t.TempDir(), "absent")}
	info, _, err := r.read()
	require.NoError(t, err)
	assert.Empty(t, info.Labels)
	assert.Empty(t, info.Checks())
}
