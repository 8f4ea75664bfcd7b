package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	evanphx "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// applyTyped applies ops to a copy of pod as RFC 6902 applies them to the pod's
// JSON, for the paths an injection patch may use: metadata.labels and
// metadata.annotations, spec.initContainers, spec.containers and spec.volumes,
// whole or one member or element. Empty maps and lists count as absent, as in the
// pod's JSON (omitempty). It is the fuzz target's oracle: a few microseconds per
// input, where encoding the pod, applying the patch with a JSON patch library and
// decoding the result (what TestInjectionPatchApplies does for the test pods) takes
// a hundred times as long.
func applyTyped(pod *corev1.Pod, ops []patchOperation) (*corev1.Pod, error) {
	out := pod.DeepCopy()
	for _, op := range ops {
		if err := applyTypedOp(out, op); err != nil {
			return nil, fmt.Errorf("%s %s: %w", op.Op, op.Path, err)
		}
	}
	return out, nil
}

var errMissing = errors.New("the target or its parent does not exist")

func applyTypedOp(pod *corev1.Pod, op patchOperation) error {
	if op.Op != "add" && op.Op != "replace" {
		return errors.New("an injection only adds and replaces")
	}
	segs := strings.SplitN(strings.TrimPrefix(op.Path, "/"), "/", 3)
	if len(segs) < 2 {
		return errors.New("not a path an injection changes")
	}
	field, token, whole := "/"+segs[0]+"/"+segs[1], "", len(segs) == 2
	if !whole {
		token = segs[2]
	}
	switch field {
	case "/metadata/labels":
		return applyMapOp(&pod.Labels, op, token, whole)
	case "/metadata/annotations":
		return applyMapOp(&pod.Annotations, op, token, whole)
	case "/spec/initContainers":
		return applyListOp(&pod.Spec.InitContainers, op, token, whole)
	case "/spec/containers":
		return applyListOp(&pod.Spec.Containers, op, token, whole)
	case "/spec/volumes":
		return applyListOp(&pod.Spec.Volumes, op, token, whole)
	}
	return errors.New("not a path an injection changes")
}

// applyMapOp applies op to the map *m, or to its member named by the JSON Pointer
// reference token.
func applyMapOp(m *map[string]string, op patchOperation, token string, whole bool) error {
	if whole {
		v, ok := op.Value.(map[string]string)
		if !ok {
			return fmt.Errorf("value is a %T, want map[string]string", op.Value)
		}
		if op.Op == "replace" && len(*m) == 0 {
			return errMissing
		}
		*m = maps.Clone(v)
		return nil
	}
	v, ok := op.Value.(string)
	if !ok {
		return fmt.Errorf("value is a %T, want string", op.Value)
	}
	key, err := unescapeToken(token)
	if err != nil {
		return err
	}
	if _, exists := (*m)[key]; len(*m) == 0 || (op.Op == "replace" && !exists) {
		return errMissing
	}
	(*m)[key] = v
	return nil
}

// applyListOp applies op to the list *l, or to its element at the index token
// ("add" inserts before it; "-" appends).
func applyListOp[T any](l *[]T, op patchOperation, token string, whole bool) error {
	if whole {
		v, ok := op.Value.([]T)
		if !ok {
			return fmt.Errorf("value is a %T, want %T", op.Value, *l)
		}
		if op.Op == "replace" && len(*l) == 0 {
			return errMissing
		}
		*l = slices.Clone(v)
		return nil
	}
	v, ok := op.Value.(T)
	if !ok {
		return fmt.Errorf("value is a %T, want %T", op.Value, v)
	}
	if len(*l) == 0 {
		return errMissing
	}
	i, err := listIndex(token, len(*l))
	switch {
	case err != nil:
		return err
	case op.Op == "add" && i <= len(*l):
		*l = slices.Insert(*l, i, v)
	case op.Op == "replace" && i < len(*l):
		(*l)[i] = v
	default:
		return errMissing
	}
	return nil
}

// listIndex reads an RFC 6901 array index: "0" or digits without a leading zero,
// or "-" for the end of a list of n elements.
func listIndex(token string, n int) (int, error) {
	if token == "-" {
		return n, nil
	}
	i, err := strconv.Atoi(token)
	if err != nil || i < 0 || strconv.Itoa(i) != token {
		return 0, fmt.Errorf("%q is not an array index", token)
	}
	return i, nil
}

// unescapeToken decodes a JSON Pointer reference token (RFC 6901: "~1" is "/",
// "~0" is "~", and no other "~" may appear).
func unescapeToken(token string) (string, error) {
	if strings.Contains(token, "/") {
		return "", fmt.Errorf("token %q has an unescaped /", token)
	}
	var b strings.Builder
	for i := 0; i < len(token); i++ {
		if token[i] != '~' {
			b.WriteByte(token[i])
			continue
		}
		if i+1 == len(token) || (token[i+1] != '0' && token[i+1] != '1') {
			return "", fmt.Errorf("token %q has a ~ that is not ~0 or ~1", token)
		}
		if token[i+1] == '0' {
			b.WriteByte('~')
		} else {
			b.WriteByte('/')
		}
		i++
	}
	return b.String(), nil
}

// TestApplyTypedAgreesWithJSONPatch applies well-formed and broken operations
// with applyTyped and with the JSON patch library the apiserver uses to the JSON of
// the same pod: both fail, or both give the same pod. Where the library is more
// lenient than RFC 6902 (or the operation is no part of an injection), applyTyped
// fails alone, as noted.
func TestApplyTypedAgreesWithJSONPatch(t *testing.T) {
	pod := &corev1.Pod{}
	pod.Labels = map[string]string{"app": "web", "a/b": "x"}
	pod.Spec.Containers = []corev1.Container{{Name: "app"}, {Name: "log"}}
	raw, err := json.Marshal(pod)
	require.NoError(t, err)
	sidecar := corev1.Container{Name: "meshprobe-sidecar"}
	for _, tc := range []struct {
		op           patchOperation
		onlyTypedErr string // why applyTyped alone refuses op
	}{
		{op: patchOperation{"add", "/metadata/labels/new", "v"}},
		{op: patchOperation{"add", "/metadata/labels/app", "v"}},
		{op: patchOperation{"replace", "/metadata/labels/app", "v"}},
		{op: patchOperation{"replace", "/metadata/labels/a~1b", "v"}},
		{op: patchOperation{"replace", "/metadata/labels/a/b", "v"}},
		{op: patchOperation{"replace", "/metadata/labels/new", "v"}, onlyTypedErr: "RFC 6902: replace needs the target"},
		{op: patchOperation{"add", "/metadata/labels/a~2b", "v"}, onlyTypedErr: "RFC 6901: ~2 is no escape"},
		{op: patchOperation{"add", "/metadata/annotations/k", "v"}},
		{op: patchOperation{"add", "/metadata/annotations", map[string]string{"k": "v"}}},
		{op: patchOperation{"replace", "/metadata/annotations", map[string]string{"k": "v"}}, onlyTypedErr: "RFC 6902: replace needs the target"},
		{op: patchOperation{"add", "/spec/containers/2", sidecar}},
		{op: patchOperation{"add", "/spec/containers/0", sidecar}},
		{op: patchOperation{"add", "/spec/containers/-", sidecar}},
		{op: patchOperation{"add", "/spec/containers/3", sidecar}},
		{op: patchOperation{"add", "/spec/containers/01", sidecar}, onlyTypedErr: "RFC 6901: no leading zeros"},
		{op: patchOperation{"replace", "/spec/containers/1", sidecar}},
		{op: patchOperation{"replace", "/spec/containers/2", sidecar}},
		{op: patchOperation{"add", "/spec/initContainers/0", sidecar}},
		{op: patchOperation{"add", "/spec/initContainers", []corev1.Container{sidecar}}},
		{op: patchOperation{"remove", "/metadata/labels/app", nil}, onlyTypedErr: "an injection never removes"},
	} {
		t.Run(tc.op.Op+" "+tc.op.Path, func(t *testing.T) {
			typed, typedErr := applyTyped(pod, []patchOperation{tc.op})
			opsJSON, err := json.Marshal([]patchOperation{tc.op})
			require.NoError(t, err)
			p, err := evanphx.DecodePatch(opsJSON)
			require.NoError(t, err)
			patched, jsonErr := p.Apply(raw)
			if tc.onlyTypedErr != "" {
				require.NoError(t, jsonErr, "the library accepts it")
				require.Error(t, typedErr, tc.onlyTypedErr)
				return
			}
			require.Equal(t, jsonErr == nil, typedErr == nil, "JSON patch: %v; applyTyped: %v", jsonErr, typedErr)
			if jsonErr == nil {
				got := &corev1.Pod{}
				require.NoError(t, json.Unmarshal(patched, got))
				require.True(t, equality.Semantic.DeepEqual(got, typed), "applyTyped gives another pod")
			}
		})
	}
}
