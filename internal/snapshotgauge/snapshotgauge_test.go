package snapshotgauge

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGauge(t *testing.T) {
	reg := prometheus.NewRegistry()
	g, err := New(reg, "meshprobe_test_things", "Things.", "kind")
	require.NoError(t, err)
	g.Set(map[string]int{"a": 1, "b": 0})
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP meshprobe_test_things Things.
# TYPE meshprobe_test_things gauge
meshprobe_test_things{kind="a"} 1
meshprobe_test_things{kind="b"} 0
`)))
	g.Set(map[string]int{"b": 2})
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP meshprobe_test_things Things.
# TYPE meshprobe_test_things gauge
meshprobe_test_things{kind="b"} 2
`)), "a series that is not in the snapshot is gone")
	g.Set(nil)
	n, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	assert.Zero(t, n)

	_, err = New(reg, "meshprobe_test_things", "Things.", "kind")
	assert.ErrorContains(t, err, "registering meshprobe_test_things")
}
