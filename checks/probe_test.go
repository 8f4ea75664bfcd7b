package checks

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// TestProbersCoverTypes: every type the spec accepts has a prober, and no
// prober is for a type the spec does not know.
func TestProbersCoverTypes(t *testing.T) {
	assert.Equal(t, spec.Types(), slices.Sorted(maps.Keys(newProbers)))
	for typ, newProber := range newProbers {
		assert.NotNil(t, newProber, typ)
	}
}
