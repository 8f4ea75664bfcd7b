package webhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	evanphx "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestInjectionPatchApplies applies the handler's patch to the JSON of every
// injected test pod, in both sidecar modes, and checks the result is exactly the
// pod Mutate made, and the same pod that controller-runtime's diff
// (PatchResponseFromRaw over the whole pod) gives.
func TestInjectionPatchApplies(t *testing.T) {
	for name, pod := range patchTestPods(t) {
		for _, native := range []bool{true, false} {
			cfg := testConfig()
			cfg.NativeSidecar = native
			out, reason := Mutate(pod, pod.Namespace, &cfg)
			if reason != ReasonInjected {
				continue
			}
			t.Run(name+map[bool]string{true: "/native", false: "/plain"}[native], func(t *testing.T) {
				raw, err := json.Marshal(pod)
				require.NoError(t, err)
				got := applyPatch(t, raw, injectionPatch(pod, out))
				require.True(t, equality.Semantic.DeepEqual(out, got), "patched pod differs from Mutate's")

				mutated, err := json.Marshal(out)
				require.NoError(t, err)
				diff := admission.PatchResponseFromRaw(raw, mutated)
				require.True(t, diff.Allowed)
				require.Equal(t, got, applyPatch(t, raw, diff.Patches), "diff and direct patch disagree")
			})
		}
	}
}

// TestInjectionPatchOperations pins the operations for the cases a diff would
// express differently: an existing key is replaced, not added; a JSON Pointer
// escapes "~" and "/"; a missing map or list is added whole.
func TestInjectionPatchOperations(t *testing.T) {
	pod := &corev1.Pod{}
	pod.Labels = map[string]string{"meshprobe.io/member": "false", "a~b": "x"}
	pod.Spec.Containers = []corev1.Container{{Name: "app"}}
	out := pod.DeepCopy()
	out.Labels["meshprobe.io/member"] = "true"
	out.Labels["c~/d"] = "y"
	out.Annotations = map[string]string{"k": "v"}
	out.Spec.InitContainers = []corev1.Container{{Name: "meshprobe-sidecar"}}

	var got []string
	for _, op := range injectionPatch(pod, out) {
		got = append(got, op.Op+" "+op.Path)
	}
	require.Equal(t, []string{
		"add /metadata/annotations",
		"add /metadata/labels/c~0~1d",
		"replace /metadata/labels/meshprobe.io~1member",
		"add /spec/initContainers",
	}, got)
}

// FuzzInjectionPatch checks, for any pod the fuzzer can build, that the patch the
// handler sends turns the pod into exactly what Mutate returned.
func FuzzInjectionPatch(f *testing.F) {
	for _, pod := range patchTestPods(f) {
		raw, err := json.Marshal(pod)
		require.NoError(f, err)
		f.Add(raw, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, native bool) {
		pod := &corev1.Pod{}
		if json.Unmarshal(data, pod) != nil {
			return
		}
		cfg := testConfig()
		cfg.NativeSidecar = native
		out, reason := Mutate(pod, pod.Namespace, &cfg)
		if reason != ReasonInjected {
			return
		}
		raw, err := json.Marshal(pod)
		require.NoError(t, err)
		got := applyPatch(t, raw, injectionPatch(pod, out))
		require.True(t, equality.Semantic.DeepEqual(out, got), "patched pod differs from Mutate's")
	})
}

// patchTestPods returns every pod in testdata/pods by file name, plus a variant
// that needs replace operations and escaping.
func patchTestPods(t testing.TB) map[string]*corev1.Pod {
	entries, err := os.ReadDir(filepath.Join("testdata", "pods"))
	require.NoError(t, err)
	pods := map[string]*corev1.Pod{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		pods[name], _ = loadPod(t, name)
	}
	relabelled, _ := loadPod(t, "deployment")
	relabelled.Labels["meshprobe.io/member"] = "false"
	relabelled.Annotations = map[string]string{"meshprobe.io/injected": "", "odd~/key": "v"}
	pods["relabelled"] = relabelled
	return pods
}

// applyPatch applies ops to the pod JSON raw with an independent RFC 6902
// implementation and decodes the result.
func applyPatch[Op any](t testing.TB, raw []byte, ops []Op) *corev1.Pod {
	t.Helper()
	opsJSON, err := json.Marshal(ops)
	require.NoError(t, err)
	p, err := evanphx.DecodePatch(opsJSON)
	require.NoError(t, err)
	patched, err := p.Apply(raw)
	require.NoError(t, err, "patch %s", opsJSON)
	pod := &corev1.Pod{}
	require.NoError(t, json.Unmarshal(patched, pod))
	return pod
}
