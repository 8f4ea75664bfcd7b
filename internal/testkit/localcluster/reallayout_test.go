package localcluster

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRealLayout(t *testing.T) {
	l, err := newRealLayout("10.243.0.0/16")
	require.NoError(t, err)
	assert.Equal(t, "10.243.0.0/17", l.pods.String())
	assert.Equal(t, "10.243.255.0/24", l.nodeNet.String())
	assert.Equal(t, "10.243.255.2", l.nodeIP(2).String())

	_, err = newRealLayout("10.243.0.0/24")
	require.ErrorContains(t, err, "at least a /22")
	_, err = newRealLayout("fd00::/64")
	require.ErrorContains(t, err, "IPv4")
}
