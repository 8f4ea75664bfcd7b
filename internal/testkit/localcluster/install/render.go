package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Render returns the objects of the kustomize directory dir.
func Render(ctx context.Context, dir string) ([]*unstructured.Unstructured, error) {
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, kubectl, "kustomize", dir)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("install: kubectl kustomize %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
		}
		return Decode(out)
	}
	return renderBuiltin(dir)
}

type kustomization struct {
	Namespace string   `json:"namespace"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
	Patches []struct {
		Path   string `json:"path"`
		Patch  string `json:"patch"`
		Target any    `json:"target"`
	} `json:"patches"`
	PatchesStrategicMerge []string `json:"patchesStrategicMerge"`
}

// renderBuiltin reads resources (files and nested kustomize directories) and applies
// namespace and images; anything else kustomize can do is refused with an error
// saying to install kubectl.
func renderBuiltin(dir string) ([]*unstructured.Unstructured, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	var k kustomization
	if err := yaml.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("install: %s/kustomization.yaml: %w", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		var objs []*unstructured.Unstructured
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			objs, err = renderBuiltin(p)
			if err != nil {
				return nil, err
			}
		} else {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("install: resource %s: %w", r, err)
			}
			if objs, err = Decode(data); err != nil {
				return nil, fmt.Errorf("install: resource %s: %w", r, err)
			}
		}
		out = append(out, objs...)
	}
	if err := applyPatches(dir, &k, out); err != nil {
		return nil, err
	}
	for _, o := range out {
		if k.Namespace != "" && o.GetKind() != "Namespace" && o.GetNamespace() == "" && namespaced(o) {
			o.SetNamespace(k.Namespace)
		}
		for _, img := range k.Images {
			setImage(o, img.Name, img.NewName, img.NewTag)
		}
	}
	return out, nil
}

// Decode splits a multi-document YAML (or JSON) stream into objects.
func Decode(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// clusterScoped are the cluster-scoped kinds meshprobe's manifests may hold.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true, "ClusterIssuer": true,
	"PriorityClass": true, "StorageClass": true,
}

func namespaced(o *unstructured.Unstructured) bool { return !clusterScoped[o.GetKind()] }

func setImage(o *unstructured.Unstructured, name, newName, newTag string) {
	for _, path := range [][]string{
		{"spec", "template", "spec", "containers"}, {"spec", "template", "spec", "initContainers"},
		{"spec", "containers"}, {"spec", "initContainers"},
	} {
		list, ok, _ := unstructured.NestedSlice(o.Object, path...)
		if !ok {
			continue
		}
		for _, item := range list {
			c, ok := item.(map[string]any)
			if !ok {
				continue
			}
			img, _ := c["image"].(string)
			repo, _, _ := strings.Cut(img, ":")
			if repo != name {
				continue
			}
			if newName != "" {
				repo = newName
			}
			if newTag != "" {
				c["image"] = repo + ":" + newTag
			} else {
				c["image"] = repo
			}
		}
		_ = unstructured.SetNestedSlice(o.Object, list, path...)
	}
}
