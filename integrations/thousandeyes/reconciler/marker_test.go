package reconciler

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarkerRoundTrip(t *testing.T) {
	for _, name := range []string{"plain", "with spaces", "brackets ] [ and / slashes", "ünïcödé"} {
		t.Run(name, func(t *testing.T) {
			m := Marker{ID: TestID("ns", "cm", name), Hash: "0123abcd"}
			got, ok := ParseMarker(Describe("user text [not a marker]", m))
			require.True(t, ok)
			assert.Equal(t, m, got)
			assert.Equal(t, "ns/cm", got.Source())
		})
	}
	_, ok := ParseMarker("made by hand")
	assert.False(t, ok)
}

// FuzzParseMarker: descriptions come from the API and may hold anything.
func FuzzParseMarker(f *testing.F) {
	f.Add("runbook [meshprobe id=ns/cm/a%20b hash=00ff]")
	f.Add("[meshprobe id= hash=]")
	f.Fuzz(func(t *testing.T, desc string) {
		m, ok := ParseMarker(desc)
		if !ok {
			return
		}
		require.NotEmpty(t, m.ID)
		again, ok := ParseMarker(m.String())
		require.True(t, ok)
		require.Equal(t, m, again)
	})
}

func TestMarkerInstall(t *testing.T) {
	m := Marker{ID: TestID("ns", "cm", "a b"), Hash: "00ff", Install: "prod-eu/meshprobe-system"}
	assert.Equal(t, "[meshprobe id=ns/cm/a%20b hash=00ff install=prod-eu/meshprobe-system]", m.String())
	got, ok := ParseMarker("x " + m.String())
	require.True(t, ok)
	assert.Equal(t, m, got)
	assert.Equal(t, "a b", got.Name())

	legacy, ok := ParseMarker("[meshprobe id=ns/cm/a hash=00ff]")
	require.True(t, ok)
	assert.Empty(t, legacy.Install, "markers from before install identities still parse")
	assert.Equal(t, "ns/cm", legacy.Source())
}
