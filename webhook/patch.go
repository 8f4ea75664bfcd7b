package webhook

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// patchOperation is one RFC 6902 operation. Encoding these typed values directly
// costs half of what encoding jsonpatch.Operation does (its MarshalJSON encodes
// each operation separately and the encoder then re-scans the result).
type patchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// injectionPatch returns the JSON patch (RFC 6902) that turns pod into out, where
// out is what Mutate made of pod. It builds the operations from the shape of an
// injection instead of diffing two encodings of the pod: Mutate adds or changes
// map keys in metadata.labels and metadata.annotations, appends to
// spec.initContainers or spec.containers, and replaces or appends elements of
// spec.volumes; nothing else differs. Diffing cost several times as much CPU per
// review (it marshalled both pods, decoded them into generic maps and re-encoded
// the values); patch_test.go checks this patch against that diff, and a fuzz
// target applies it to arbitrary pods.
func injectionPatch(pod, out *corev1.Pod) []patchOperation {
	var ops []patchOperation
	ops = mapOps(ops, "/metadata/annotations", pod.Annotations, out.Annotations)
	ops = mapOps(ops, "/metadata/labels", pod.Labels, out.Labels)
	ops = appendOps(ops, "/spec/initContainers", pod.Spec.InitContainers, out.Spec.InitContainers)
	ops = appendOps(ops, "/spec/containers", pod.Spec.Containers, out.Spec.Containers)
	return upsertOps(ops, "/spec/volumes", pod.Spec.Volumes, out.Spec.Volumes)
}

// mapOps appends the operations that turn the string map before into after,
// which has every key of before. A map that was empty is added whole.
func mapOps(ops []patchOperation, path string, before, after map[string]string) []patchOperation {
	if maps.Equal(before, after) {
		return ops
	}
	if len(before) == 0 {
		return append(ops, patchOperation{"add", path, after})
	}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		old, had := before[k]
		switch {
		case !had:
			ops = append(ops, patchOperation{"add", path + "/" + pointerToken(k), after[k]})
		case old != after[k]:
			ops = append(ops, patchOperation{"replace", path + "/" + pointerToken(k), after[k]})
		}
	}
	return ops
}

// appendOps appends the operations that turn before into after, which is before
// with elements appended. A list that was empty is added whole.
func appendOps[T any](ops []patchOperation, path string, before, after []T) []patchOperation {
	if len(before) == 0 {
		if len(after) == 0 {
			return ops
		}
		return append(ops, patchOperation{"add", path, after})
	}
	for i := len(before); i < len(after); i++ {
		ops = append(ops, patchOperation{"add", path + "/" + strconv.Itoa(i), after[i]})
	}
	return ops
}

// upsertOps is appendOps for a list whose existing elements may also have been
// replaced in place.
func upsertOps[T any](ops []patchOperation, path string, before, after []T) []patchOperation {
	for i := range before {
		if !reflect.DeepEqual(before[i], after[i]) {
			ops = append(ops, patchOperation{"replace", path + "/" + strconv.Itoa(i), after[i]})
		}
	}
	return appendOps(ops, path, before, after)
}

// pointerEscaper escapes a map key as a JSON Pointer reference token (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func pointerToken(key string) string { return pointerEscaper.Replace(key) }
