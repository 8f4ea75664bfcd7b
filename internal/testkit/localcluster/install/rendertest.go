package install

import (
	"os/exec"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RenderForTest renders dir like Render for a test, and skips the test when
// kubectl is missing: the overlays use kustomize patches and components, which
// the built-in subset does not render.
func RenderForTest(t testing.TB, dir string) []*unstructured.Unstructured {
	t.Helper()
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("the overlays use kustomize patches: install kubectl (kubectl kustomize) to render them")
	}
	objs, err := Render(t.Context(), dir)
	if err != nil {
		t.Fatalf("rendering %s: %v", dir, err)
	}
	return objs
}
