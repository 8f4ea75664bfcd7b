package localcluster

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOverlaps(t *testing.T) {
	_, n, err := net.ParseCIDR("10.244.0.0/16")
	require.NoError(t, err)
	_, inside, _ := net.ParseCIDR("10.244.255.254/16")
	_, other, _ := net.ParseCIDR("192.168.1.5/24")
	assert.True(t, overlaps(n, []*net.IPNet{{IP: inside.IP, Mask: inside.Mask}, other}))
	assert.False(t, overlaps(n, []*net.IPNet{other}))
	_, err = freeClusterCIDR("nonsense")
	assert.Error(t, err)
}
