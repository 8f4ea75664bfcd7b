package migrate

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCredentialsPlanHelm: the plan offers the chart's agents.credentialSecrets
// only when the Secret goes where the chart mounts it (the default
// --secret-dir); the kustomize patch always.
func TestCredentialsPlanHelm(t *testing.T) {
	for _, tt := range []struct {
		dir  string
		helm bool
	}{{DefaultSecretDir, true}, {"/srv/creds", false}} {
		c := newCredentials("epsitter", Options{Namespace: "probes", SecretDir: tt.dir})
		assert.Nil(t, c.plan(), "no plan without credentials")
		c.file("api-password")
		plan := strings.Join(c.plan(), "\n")
		assert.Equal(t, tt.helm, strings.Contains(plan, "helm upgrade meshprobe charts/meshprobe -n probes --reuse-values --set 'agents.credentialSecrets={epsitter-credentials}'"), tt.dir)
		assert.Contains(t, plan, "mountPath: "+tt.dir+"/epsitter-credentials", tt.dir)
		assert.Contains(t, plan, "--from-literal=api-password='...'")
	}
}
