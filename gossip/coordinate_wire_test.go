package gossip

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleCoordinate is a plausible converged coordinate: about 1 ms across.
func sampleCoordinate() *Coordinate {
	return &Coordinate{Vec: []float64{5e-4, -2.5e-4, 1e-4, 0, 0, 0, 0, -1e-4}, Error: 0.25, Adjustment: -2e-5, Height: 5e-5}
}

func TestCoordinatePayloadRoundTrip(t *testing.T) {
	c := sampleCoordinate()
	b := encodeCoordinate(nil, c)
	require.Len(t, b, coordinatePayloadLen)
	assert.Equal(t, 46, coordinatePayloadLen, "the documented size")
	got, err := DecodeCoordinate(b)
	require.NoError(t, err)
	require.Len(t, got.Vec, CoordinateDimensions)
	for i, v := range c.Vec {
		assert.InDelta(t, v, got.Vec[i], 1e-9, "component %d (float32 on the wire)", i)
	}
	assert.InDelta(t, c.Error, got.Error, 1e-7)
	assert.InDelta(t, c.Adjustment, got.Adjustment, 1e-9)
	assert.InDelta(t, c.Height, got.Height, 1e-9)
	assert.Equal(t, b, encodeCoordinate(nil, got), "float32 values re-encode to the same bytes")

	later, err := DecodeCoordinate(append(bytes.Clone(b), "fields of a later release"...))
	require.NoError(t, err, "a reader ignores what follows the fields it knows")
	assert.Equal(t, got, later)
}

func TestCoordinatePayloadRefused(t *testing.T) {
	valid := encodeCoordinate(nil, sampleCoordinate())
	field := func(c func(*Coordinate)) []byte {
		x := sampleCoordinate()
		c(x)
		return encodeCoordinate(nil, x)
	}
	for name, tc := range map[string]struct {
		payload []byte
		reason  string
	}{
		"empty":              {nil, CoordRefusedSize},
		"oversize":           {append(bytes.Clone(valid), make([]byte, maxCoordinatePayload)...), CoordRefusedSize},
		"truncated":          {valid[:coordinatePayloadLen-1], CoordRefusedSize},
		"later version":      {append([]byte{2}, valid[1:]...), CoordRefusedVersion},
		"version zero":       {append([]byte{0}, valid[1:]...), CoordRefusedVersion},
		"other dimensions":   {append([]byte{1, 3}, valid[2:]...), CoordRefusedDimension},
		"NaN position":       {field(func(c *Coordinate) { c.Vec[3] = math.NaN() }), CoordRefusedInvalid},
		"infinite height":    {field(func(c *Coordinate) { c.Height = math.Inf(1) }), CoordRefusedInvalid},
		"NaN error":          {field(func(c *Coordinate) { c.Error = math.NaN() }), CoordRefusedInvalid},
		"position far away":  {field(func(c *Coordinate) { c.Vec[0], c.Vec[1] = 8, 8 }), CoordRefusedMagnitude},
		"negative error":     {field(func(c *Coordinate) { c.Error = -0.1 }), CoordRefusedMagnitude},
		"error over the max": {field(func(c *Coordinate) { c.Error = 1.6 }), CoordRefusedMagnitude},
		"huge adjustment":    {field(func(c *Coordinate) { c.Adjustment = -11 }), CoordRefusedMagnitude},
		"negative height":    {field(func(c *Coordinate) { c.Height = -1e-3 }), CoordRefusedMagnitude},
		"huge height":        {field(func(c *Coordinate) { c.Height = 3600 }), CoordRefusedMagnitude},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeCoordinate(tc.payload)
			require.Error(t, err)
			assert.Equal(t, tc.reason, refusedReason(err))
		})
	}
}

func TestEstimateRTT(t *testing.T) {
	origin := &Coordinate{Vec: make([]float64, CoordinateDimensions), Height: 1e-4}
	east := origin.clone()
	east.Vec[0] = 3e-3
	north := origin.clone()
	north.Vec[1] = 4e-3
	assert.Equal(t, 5200*time.Microsecond, EstimateRTT(east, north), "Euclidean distance plus both heights")
	assert.Equal(t, EstimateRTT(north, east), EstimateRTT(east, north), "symmetric")

	adjusted := east.clone()
	adjusted.Adjustment = -1e-3
	assert.Equal(t, 4200*time.Microsecond, EstimateRTT(adjusted, north), "adjustments add when the sum stays positive")

	nan := east.clone()
	nan.Vec[2] = math.NaN()
	for name, pair := range map[string][2]*Coordinate{
		"nil":              {nil, east},
		"other dimensions": {east, {Vec: []float64{1e-3}}},
		"NaN":              {nan, north},
	} {
		assert.Zero(t, EstimateRTT(pair[0], pair[1]), name)
	}
}

// Whatever a peer sends, the decoder gives an error naming a counted reason,
// or a coordinate that validates, re-encodes to the fields it was read from and
// gives finite, non-negative estimates.
func FuzzDecodeCoordinate(f *testing.F) {
	valid := encodeCoordinate(nil, sampleCoordinate())
	f.Add(valid)
	f.Add(append(bytes.Clone(valid), 0xff, 0x00))
	f.Add([]byte{1, 8})
	f.Add([]byte{})
	f.Add(append([]byte{2}, valid[1:]...))
	f.Add(encodeCoordinate(nil, &Coordinate{Vec: make([]float64, CoordinateDimensions), Error: 1.5, Height: 1e-5}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCoordinate(b)
		if err != nil {
			require.Contains(t, coordRefusedReasons, refusedReason(err), "%v", err)
			return
		}
		require.NoError(t, validateCoordinate(c))
		require.Equal(t, b[:coordinatePayloadLen], encodeCoordinate(nil, c))
		rtt := EstimateRTT(c, sampleCoordinate())
		require.GreaterOrEqual(t, rtt, time.Duration(0))
		require.Less(t, rtt, 40*time.Second, "every component is bounded")
	})
}

// The coordinate payload of this release is frozen in testdata/wire; a later
// release's fields after it are ignored, a later version is refused.
func TestWireCoordinateGolden(t *testing.T) {
	b := encodeCoordinate(nil, sampleCoordinate())
	checkWireFile(t, "current-coordinate.bin", b)
	checkWireFile(t, "future-coordinate-v1-later-fields.bin", append(bytes.Clone(b), "later fields"...))
	checkWireFile(t, "future-coordinate-v2.bin", append([]byte{2}, b[1:]...))
	if *updateWire {
		return
	}
	want, err := DecodeCoordinate(wireFile(t, "current-coordinate.bin"))
	require.NoError(t, err)
	later, err := DecodeCoordinate(wireFile(t, "future-coordinate-v1-later-fields.bin"))
	require.NoError(t, err)
	assert.Equal(t, want, later)
	_, err = DecodeCoordinate(wireFile(t, "future-coordinate-v2.bin"))
	assert.Equal(t, CoordRefusedVersion, refusedReason(err))
}
