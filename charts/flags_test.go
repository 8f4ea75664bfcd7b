package charts_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/controlplane"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// namedFlags are the flags set through values of their own rather than
// webhook.flags (templates/_helpers.tpl refuses them there).
var namedFlags = map[string][]string{
	"namespace":                 {"namespace"},
	"sidecar-image":             {"sidecar", "image", "repository"},
	"sidecar-image-pull-policy": {"sidecar", "image", "pullPolicy"},
	"webhook-certs":             {"certificates", "mode"},
	"repair-missed":             {"repair", "enabled"},
}

const (
	beginFlags = "    # BEGIN flags\n"
	endFlags   = "    # END flags\n"
)

// TestValuesDocumentEveryFlag checks that values.yaml's webhook.flags lists every
// flag of meshprobe-webhook but namedFlags, each with the binary's usage and
// default, and nothing else; -update rewrites the list, keeping the values set.
func TestValuesDocumentEveryFlag(t *testing.T) {
	clearFlagEnv(t)
	path := filepath.Join(chartDir, "values.yaml")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	before, rest, ok := bytes.Cut(data, []byte(beginFlags))
	require.True(t, ok, "values.yaml has no line %q", beginFlags)
	current, after, ok := bytes.Cut(rest, []byte(endFlags))
	require.True(t, ok, "values.yaml has no line %q", endFlags)

	values := map[string]any{}
	require.NoError(t, yaml.Unmarshal(data, &values))
	for name, path := range namedFlags {
		assert.True(t, hasValue(values, path), "--%s is set by the value %s, which values.yaml lacks", name, strings.Join(path, "."))
	}
	set, _ := values["webhook"].(map[string]any)["flags"].(map[string]any)
	block := flagsBlock(t, set)
	if *update {
		want := string(before) + beginFlags + block + endFlags + string(after)
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		return
	}
	assert.Equal(t, block, string(current), "values.yaml's flags are not meshprobe-webhook's: go test ./charts -update")
}

// flagsBlock is the list of flags for values.yaml: each flag's usage and default
// as a comment, then its value from set, or null.
func flagsBlock(t *testing.T, set map[string]any) string {
	t.Helper()
	var b strings.Builder
	controlplane.FlagSet().VisitAll(func(f *flag.Flag) {
		if _, named := namedFlags[f.Name]; named {
			return
		}
		fmt.Fprintf(&b, "    # %s\n", flagDoc(f))
		v, ok := set[f.Name]
		if !ok || v == nil {
			fmt.Fprintf(&b, "    %s: null\n", f.Name)
			return
		}
		out, err := yaml.Marshal(map[string]any{f.Name: v})
		require.NoError(t, err)
		for line := range strings.Lines(string(out)) {
			b.WriteString("    " + line)
		}
	})
	return b.String()
}

// flagDoc is a flag's usage and default.
func flagDoc(f *flag.Flag) string {
	if f.DefValue == "" {
		return f.Usage
	}
	return fmt.Sprintf("%s (default %q)", f.Usage, f.DefValue)
}

// clearFlagEnv unsets what the flags' defaults read from the environment.
func clearFlagEnv(t *testing.T) {
	for _, env := range []string{contract.EnvPodNamespace, contract.EnvGossipKeyDir, "TE_API_URL", "TE_API_TOKEN", "TE_API_TOKEN_FILE", "TE_AID"} {
		t.Setenv(env, "")
	}
}

func hasValue(values map[string]any, path []string) bool {
	var v any = values
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

// TestFlagValuesReachTheBinary sets flags of every kind through values and parses
// the rendered arguments with meshprobe-webhook's own flag set; the ports, mounts
// and policies follow the flags they come from.
func TestFlagValuesReachTheBinary(t *testing.T) {
	vals := allToggles()
	vals["webhook"] = map[string]any{"flags": map[string]any{
		"strict":                true,
		"max-request-bytes":     4194304,
		"request-timeout":       "15s",
		"gossip-port":           15000,
		"metrics-bind-address":  ":9090",
		"excluded-namespaces":   []any{"kube-system", "batch"},
		"sidecar-defaults":      map[string]any{"logLevel": "debug"},
		"thousandeyes-selector": "team=probes",
		"gossip-key-dir":        "/var/run/gossip",
		"view-addr":             ":9083",
	}}
	vals["sidecar"] = map[string]any{"image": map[string]any{"repository": "registry.example/meshprobe-sidecar", "tag": "v1.2.3", "pullPolicy": "Always"}}
	objs := render(t, vals)
	var dep appsv1.Deployment
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(object(t, objs, "Deployment", "meshprobe-webhook").Object, &dep))
	c := dep.Spec.Template.Spec.Containers[0]
	fs := controlplane.FlagSet()
	require.NoError(t, fs.Parse(c.Args), "%q", c.Args)
	for name, want := range map[string]string{
		"strict": "true", "max-request-bytes": "4194304", "request-timeout": "15s", "gossip-port": "15000",
		"excluded-namespaces": "kube-system,batch", "sidecar-defaults": `{"logLevel":"debug"}`,
		"sidecar-image": "registry.example/meshprobe-sidecar:v1.2.3", "sidecar-image-pull-policy": "Always",
		"webhook-certs": "builtin", "repair-missed": "restart", "log-format": "json",
	} {
		assert.Equal(t, want, fs.Lookup(name).Value.String(), name)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, map[string]int32{"webhook": 9443, "metrics": 9090, "probes": 8081, "heartbeat": 8082, "view": 9083, "gossip-tcp": 15000, "gossip-udp": 15000}, ports)
	assert.Contains(t, c.VolumeMounts, corev1.VolumeMount{Name: "gossip-key", MountPath: "/var/run/gossip", ReadOnly: true})
	policy := object(t, objs, "ValidatingAdmissionPolicy", "meshprobe-configmaps")
	validations, _, _ := unstructured.NestedSlice(policy.Object, "spec", "validations")
	assert.Equal(t, "oldObject.metadata.?labels[?'team'] == optional.of('probes')", validations[0].(map[string]any)["expression"],
		"the ConfigMap policy follows --thousandeyes-selector")
	gossip := object(t, objs, "Service", "meshprobe-gossip")
	svcPorts, _, _ := unstructured.NestedSlice(gossip.Object, "spec", "ports")
	assert.EqualValues(t, 15000, svcPorts[0].(map[string]any)["port"])
}

// TestViewOff: with view-addr "0" the Deployment has no view port and there is
// no meshprobe-view Service.
func TestViewOff(t *testing.T) {
	objs := render(t, map[string]any{"webhook": map[string]any{"flags": map[string]any{"view-addr": "0"}}})
	var dep appsv1.Deployment
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(object(t, objs, "Deployment", "meshprobe-webhook").Object, &dep))
	for _, p := range dep.Spec.Template.Spec.Containers[0].Ports {
		assert.NotEqual(t, "view", p.Name)
	}
	for _, o := range objs {
		assert.False(t, o.GetKind() == "Service" && o.GetName() == "meshprobe-view", "no view Service")
	}
	object(t, objs, "Service", "meshprobe-heartbeat")
}

// object is the object of that kind and name in objs.
func object(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}
