package webhook

import (
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"gomodules.xyz/jsonpatch/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden is what a golden file records of one admission response. The patch is
// sorted by path and operation: jsonpatch emits map keys in random order.
type golden struct {
	Allowed  bool                           `json:"allowed"`
	Message  string                         `json:"message,omitempty"`
	Warnings []string                       `json:"warnings,omitempty"`
	Patch    []jsonpatch.JsonPatchOperation `json:"patch"`
}

func TestGolden(t *testing.T) {
	plain := func(c *Config) { c.NativeSidecar = false }
	tests := []struct {
		name, pod string
		config    func(*Config)
	}{
		{name: "deployment", pod: "deployment"},
		{name: "deployment-plain-container", pod: "deployment", config: plain},
		{name: "statefulset", pod: "statefulset"},
		{name: "daemonset", pod: "daemonset"},
		{name: "job", pod: "job"},
		{name: "bare", pod: "bare"},
		{name: "volume-conflict", pod: "volume-conflict"},
		{name: "hostnetwork", pod: "hostnetwork"},
		{name: "opted-out", pod: "opted-out"},
		{name: "kube-system", pod: "kube-system"},
		{name: "mirror", pod: "mirror"},
		{name: "already-injected", pod: "already-injected"},
		{name: "checks-valid", pod: "checks-valid"},
		{name: "checks-invalid", pod: "checks-invalid"},
		{name: "default-ports", pod: "default-ports"},
		{name: "fallback-ports", pod: "fallback-ports"},
		{name: "windows", pod: "windows"},
		{name: "job-plain-container", pod: "job", config: plain},
		{name: "foreign-sidecar", pod: "foreign-sidecar"},
		{name: "sidecar-secret", pod: "sidecar-secret"},
		{name: "sidecar-invalid", pod: "sidecar-invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.config != nil {
				tt.config(&cfg)
			}
			h, _ := newTestHandler(t, cfg, false)
			pod, raw := loadPod(t, tt.pod)
			resp := h.Handle(t.Context(), createRequest(pod, raw))
			got := golden{Allowed: resp.Allowed, Warnings: resp.Warnings, Patch: patchOf(t, resp)}
			if resp.Result != nil {
				got.Message = resp.Result.Message
			}
			slices.SortFunc(got.Patch, func(a, b jsonpatch.JsonPatchOperation) int {
				return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Operation, b.Operation))
			})
			if got.Patch == nil {
				got.Patch = []jsonpatch.JsonPatchOperation{}
			}
			gotJSON, err := json.MarshalIndent(got, "", "  ")
			require.NoError(t, err)
			path := filepath.Join("testdata", "golden", tt.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, append(gotJSON, '\n'), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "missing golden file: run go test ./webhook -run TestGolden -update")
			require.JSONEq(t, string(want), string(gotJSON))
		})
	}
}
