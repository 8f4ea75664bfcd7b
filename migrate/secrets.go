package migrate

import (
	"fmt"
	"path"
	"slices"
)

// credentials collects the keys of the one Secret that holds the credentials
// a conversion could not copy. The node agents mount it at dir.
type credentials struct {
	secret, namespace, dir string
	keys                   []string
}

// newCredentials returns the credentials Secret of a tool.
func newCredentials(tool string, opts Options) *credentials {
	secret := tool + "-credentials"
	return &credentials{secret: secret, namespace: opts.Namespace, dir: path.Join(opts.SecretDir, secret)}
}

// file records key and returns the path where the agents will read it.
func (c *credentials) file(key string) string {
	if !slices.Contains(c.keys, key) {
		c.keys = append(c.keys, key)
	}
	return path.Join(c.dir, key)
}

// instruction says how to provide key, for a warning.
func (c *credentials) instruction(key string) string {
	return fmt.Sprintf("put it in the Secret %s in %s under the key %s, and mount that Secret into the meshprobe-agent DaemonSet at %s (see the plan at the top of the output)",
		c.secret, c.namespace, key, c.dir)
}

// plan is the comment telling how to create and mount the Secret, or nil
// when no credential was needed. It never holds a credential.
func (c *credentials) plan() []string {
	if len(c.keys) == 0 {
		return nil
	}
	lines := []string{
		"Credentials were not copied. Create the Secret with the values from the old configuration:",
		"",
		fmt.Sprintf("  kubectl -n %s create secret generic %s \\", c.namespace, c.secret),
	}
	for i, k := range c.keys {
		end := " \\"
		if i == len(c.keys)-1 {
			end = ""
		}
		lines = append(lines, fmt.Sprintf("    --from-literal=%s='...'%s", k, end))
	}
	lines = append(lines, "",
		"and mount it, read-only, into the meshprobe-agent DaemonSet at "+c.dir+".")
	if path.Dir(c.dir) == DefaultSecretDir {
		lines = append(lines, "With the Helm chart (charts/meshprobe), list it in agents.credentialSecrets",
			"(the value replaces the list: keep the Secrets already in it):",
			"",
			fmt.Sprintf("  helm upgrade meshprobe charts/meshprobe -n %s --reuse-values --set 'agents.credentialSecrets={%s}'", c.namespace, c.secret),
			"")
	}
	return append(lines,
		"With kustomize, for example with this JSON patch of the DaemonSet meshprobe-agent (manifests/agents):",
		"",
		"  - op: add",
		"    path: /spec/template/spec/volumes/-",
		fmt.Sprintf("    value: {name: %s, secret: {secretName: %s}}", c.secret, c.secret),
		"  - op: add",
		"    path: /spec/template/spec/containers/0/volumeMounts/-",
		fmt.Sprintf("    value: {name: %s, mountPath: %s, readOnly: true}", c.secret, c.dir),
		"")
}
