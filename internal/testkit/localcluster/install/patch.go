package install

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes/scheme"
)

// applyPatches applies the kustomization's strategic-merge patches (patches with a
// path or inline patch, and patchesStrategicMerge files) to the objects they name by
// kind, name and namespace. JSON6902 patches with a target are refused.
func applyPatches(dir string, k *kustomization, objs []*unstructured.Unstructured) error {
	var docs [][]byte
	for _, p := range k.Patches {
		if p.Target != nil {
			return fmt.Errorf("install: %s: patches with a target need kubectl (apt-get install kubectl)", dir)
		}
		data := []byte(p.Patch)
		if p.Path != "" {
			var err error
			if data, err = os.ReadFile(filepath.Join(dir, p.Path)); err != nil {
				return fmt.Errorf("install: patch %s: %w", p.Path, err)
			}
		}
		docs = append(docs, data)
	}
	for _, path := range k.PatchesStrategicMerge {
		data, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			return fmt.Errorf("install: patch %s: %w", path, err)
		}
		docs = append(docs, data)
	}
	for _, doc := range docs {
		patches, err := Decode(doc)
		if err != nil {
			return fmt.Errorf("install: decoding a patch in %s: %w", dir, err)
		}
		for _, p := range patches {
			if err := patchOne(objs, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func patchOne(objs []*unstructured.Unstructured, p *unstructured.Unstructured) error {
	for _, o := range objs {
		if o.GetKind() != p.GetKind() || o.GetName() != p.GetName() ||
			(p.GetNamespace() != "" && o.GetNamespace() != "" && p.GetNamespace() != o.GetNamespace()) {
			continue
		}
		typed, err := scheme.Scheme.New(o.GroupVersionKind())
		if err != nil {
			return fmt.Errorf("install: patch for %s %s: no Go type to merge with: %w", p.GetKind(), p.GetName(), err)
		}
		orig, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		patch, err := json.Marshal(p.Object)
		if err != nil {
			return err
		}
		merged, err := strategicpatch.StrategicMergePatch(orig, patch, typed)
		if err != nil {
			return fmt.Errorf("install: patching %s %s: %w", p.GetKind(), p.GetName(), err)
		}
		o.Object = map[string]any{}
		return json.Unmarshal(merged, &o.Object)
	}
	return fmt.Errorf("install: patch for %s %s matches no resource", p.GetKind(), p.GetName())
}
