package controlplane

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/record"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// The identity the ThousandEyes sync checks in the Lease is the one the elector
// writes there, also when it is generated (no --leader-id, no $POD_NAME).
func TestTEConfigSharesTheLeaderIdentity(t *testing.T) {
	t.Setenv(contract.EnvPodName, "")
	o := &options{namespace: "mp-system"}
	o.cp.te = thousandeyes.DefaultConfig()
	te := teConfig(o)
	cp := &controlPlane{log: slog.New(slog.DiscardHandler), events: record.NewBroadcaster()}
	lc, err := cp.leaderConfig(o)
	require.NoError(t, err)
	require.NotNil(t, te.Lease)
	assert.Equal(t, lc.Identity, te.Lease.Identity)
	assert.Equal(t, thousandeyes.LeaseRef{Namespace: "mp-system", Name: contract.LeaseName, Identity: lc.Identity}, *te.Lease)
	assert.Equal(t, "mp-system", te.HomeNamespace, "meshprobe's namespace is opted in and names the install")
}
