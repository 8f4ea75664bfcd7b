package webhook

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
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
// pod Mutate made, the same pod that controller-runtime's diff
// (PatchResponseFromRaw over the whole pod) gives, and the same pod that
// applyTyped, the fuzz target's oracle, gives.
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
				ops := injectionPatch(pod, out)
				got := applyPatch(t, raw, ops)
				require.True(t, equality.Semantic.DeepEqual(out, got), "patched pod differs from Mutate's")
				typed, err := applyTyped(pod, ops)
				require.NoError(t, err)
				require.True(t, equality.Semantic.DeepEqual(got, typed), "applyTyped (the fuzz oracle) disagrees with the JSON patch library")

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

// FuzzInjectionPatch checks, for pods built from the fuzzer's labels, annotations,
// container names and volume names (the parts of a pod an injection patch
// touches), that the patch turns the pod into exactly the pod Mutate returned,
// applied by applyTyped with RFC 6902's rules. Both choices keep it fast. The
// fuzzer runs each input that reaches new code many times over to minimize it, in
// time quadratic in the input's length; with whole pod JSON as the input and the
// patch applied to JSON (a hundred times the cost of applyTyped, and much more
// code to reach) it spent its runs minimizing, at about 6 inputs a second.
// TestInjectionPatchApplies applies the patch to JSON for the pods the seeds come
// from; FuzzHTTPHandler feeds arbitrary pod JSON through the whole handler.
func FuzzInjectionPatch(f *testing.F) {
	containerName := func(c corev1.Container) string { return c.Name }
	for _, pod := range patchTestPods(f) {
		for _, native := range []bool{true, false} {
			f.Add(lines(pod.Labels), lines(pod.Annotations), joinNames(pod.Spec.Containers, containerName),
				joinNames(pod.Spec.InitContainers, containerName),
				joinNames(pod.Spec.Volumes, func(v corev1.Volume) string { return v.Name }), native)
		}
	}
	f.Fuzz(func(t *testing.T, labels, annotations, containers, initContainers, volumes string, native bool) {
		if len(labels)+len(annotations)+len(containers)+len(initContainers)+len(volumes) > maxFuzzPodInput {
			return
		}
		pod := fuzzPod(labels, annotations, containers, initContainers, volumes)
		cfg := testConfig()
		cfg.NativeSidecar = native
		out, reason := Mutate(pod, "shop", &cfg)
		if reason != ReasonInjected {
			return
		}
		got, err := applyTyped(pod, injectionPatch(pod, out))
		require.NoError(t, err)
		require.True(t, equality.Semantic.DeepEqual(out, got), "patched pod differs from Mutate's")
	})
}

// maxFuzzPodInput bounds FuzzInjectionPatch's input: which keys and names a pod
// has shapes the patch, not how long they are, and the fuzzer's time to minimize an
// input grows with the square of its length.
const maxFuzzPodInput = 256

// fuzzPod builds a pod from "key=value" lines for labels and annotations and from
// lines of names for app containers, init containers and volumes.
func fuzzPod(labels, annotations, containers, initContainers, volumes string) *corev1.Pod {
	pod := &corev1.Pod{}
	pod.Labels, pod.Annotations = fuzzMap(labels), fuzzMap(annotations)
	for _, name := range fuzzLines(containers) {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: name, Image: "app:1"})
	}
	for _, name := range fuzzLines(initContainers) {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: name, Image: "init:1"})
	}
	for _, name := range fuzzLines(volumes) {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name,
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	return pod
}

func fuzzMap(s string) map[string]string {
	var m map[string]string
	for _, line := range fuzzLines(s) {
		if m == nil {
			m = map[string]string{}
		}
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

func fuzzLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lines is the fuzzMap form of m, with each value cut to its first 16 bytes.
func lines(m map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k][:min(len(m[k]), 16)])
	}
	return strings.Join(out, "\n")
}

// joinNames is the fuzzLines form of the names of items.
func joinNames[T any](items []T, name func(T) string) string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, name(it))
	}
	return strings.Join(out, "\n")
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
