package gossip

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenSent is the Sent time of the golden digests.
var goldenSent = time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)

// goldenDigests are the digests whose version-1 encodings are frozen in
// testdata/digest.
var goldenDigests = map[string]Digest{
	"v1-sidecar": {
		Member: "shop/web-7d9f8c6b5-x2x4z/1a2b3c4d", Sent: goldenSent,
		Checks: []CheckDigest{
			{Name: "payments-api", Type: "http", Result: "failure", LastRun: goldenSent.Add(-2 * time.Second),
				LastSuccess: goldenSent.Add(-3 * time.Hour), ConsecutiveFailures: 42, Error: "GET https://payments/healthz: 503 Service Unavailable"},
			{Name: "db", Type: "tcp", Result: "success", LastRun: goldenSent.Add(-1500 * time.Millisecond), LastSuccess: goldenSent.Add(-1500 * time.Millisecond)},
			{Name: "cache", Type: "dns", Result: "pending"},
		},
		RTT: []PeerRTT{
			{Peer: "shop/api-0/9f8e7d6c", Seconds: 0.000153, At: goldenSent.Add(-300 * time.Millisecond)},
			{Peer: "meshprobe-system/meshprobe-webhook-6c8d9f-q7x2p/0a1b2c3d", Seconds: 0.001234, At: goldenSent.Add(-4 * time.Second)},
		},
		Coord: &Coordinate{Vec: []float64{0.001, -0.0005, 0, 0.00025, 1e-6, -2e-6, 0.0001, 0}, Error: 0.35, Adjustment: -1e-5, Height: 0.0001},
	},
	"v1-agent-empty": {Member: "meshprobe-system/meshprobe-agent-x7k2p/5e6f7a8b", Sent: goldenSent},
}

func digestFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "digest", name+".bin"))
	require.NoError(t, err)
	return b
}

// TestDigestV1Golden: this release writes exactly the frozen version-1 bytes
// and reads them back. The files are written once (-update writes only
// missing ones) and never changed: a release that cannot read them breaks
// digests from members of an earlier release.
func TestDigestV1Golden(t *testing.T) {
	for name, d := range goldenDigests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "digest", name+".bin")
			b, err := d.Encode()
			require.NoError(t, err)
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && *updateWire {
				require.NoError(t, os.WriteFile(path, b, 0o644))
			}
			golden := digestFile(t, name)
			assert.Equal(t, golden, b, "this release's encoding")
			got, err := DecodeDigest(golden)
			require.NoError(t, err)
			assert.Equal(t, d.normalized(), got)
		})
	}
}

// TestDigestLaterFields: fields of a later release (unknown tags, at the top
// level and inside entries) are skipped.
func TestDigestLaterFields(t *testing.T) {
	golden := digestFile(t, "v1-sidecar")
	later := append([]byte(nil), golden...)
	later = appendField(later, 200, "a later field")
	later = appendNested(later, dtCheck, appendField([]byte{ctName, 1, 'x', 99, 0}, 17, "later"))
	later = appendField(later, 255, "")
	got, err := DecodeDigest(later)
	require.NoError(t, err)
	want := goldenDigests["v1-sidecar"].normalized()
	want.Checks = append(want.Checks, CheckDigest{Name: "x"})
	assert.Equal(t, want, got)
}

func TestDigestRefusals(t *testing.T) {
	golden := digestFile(t, "v1-sidecar")
	v2 := append([]byte(nil), golden...)
	v2[1] = 2
	for _, tc := range []struct {
		name   string
		in     []byte
		reason string
	}{
		{"oversize", append(append([]byte(nil), golden...), make([]byte, MaxDigestBytes)...), DigestRefusedSize},
		{"later version", v2, DigestRefusedVersion},
		{"another message type", append([]byte{'X'}, golden[1:]...), DigestRefusedType},
		{"empty", nil, DigestRefusedMalformed},
		{"cut", golden[:len(golden)-3], DigestRefusedMalformed},
		{"no member", []byte{digestMsgType, DigestVersion, dtSent, 1, 1}, DigestRefusedMalformed},
		{"no time", append([]byte{digestMsgType, DigestVersion}, appendField(nil, dtMember, "a/b/c")...), DigestRefusedMalformed},
		{"member not UTF-8", digestWith(func(d *Digest) { d.Member = "a/\xff/c" }), DigestRefusedMalformed},
		{"bad number", digestWith(func(d *Digest) {}, appendNested(nil, dtCheck, appendNested(appendField(nil, ctName, "x"), ctFailures, []byte{0x80}))...), DigestRefusedMalformed},
		{"too many checks", digestWith(func(d *Digest) {}, manyEntries(dtCheck, MaxDigestChecks+1)...), DigestRefusedMalformed},
		{"too many RTT", digestWith(func(d *Digest) {}, manyEntries(dtRTT, MaxDigestRTT+1)...), DigestRefusedMalformed},
		{"NaN coordinate", digestWith(func(d *Digest) {}, appendNested(nil, dtCoord, appendNested(nil, coVec, []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}))...), DigestRefusedMalformed},
		{"time in the future", digestWith(func(d *Digest) {}, appendNested(nil, dtCheck, appendTimeIf(appendField(nil, ctName, "x"), ctLastRun, goldenSent.Add(2*time.Minute), goldenSent.UnixMilli()))...), DigestRefusedMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeDigest(tc.in)
			require.Error(t, err)
			assert.Equal(t, tc.reason, digestRefusal(err), "%v", err)
		})
	}
}

// digestWith encodes a minimal valid digest changed by edit (bypassing
// Validate), followed by extra fields.
func digestWith(edit func(*Digest), extra ...byte) []byte {
	d := Digest{Member: "ns/pod/0000", Sent: goldenSent}
	edit(&d)
	return append(d.appendHead(nil, d.Sent.UnixMilli()), extra...)
}

// manyEntries returns n minimal entries of tag.
func manyEntries(tag byte, n int) []byte {
	var out []byte
	for range n {
		out = appendNested(out, tag, appendField(nil, 1, "x"))
	}
	return out
}

func TestDigestEncodeValidates(t *testing.T) {
	valid := func() Digest { return Digest{Member: "ns/pod/0000", Sent: goldenSent} }
	for _, tc := range []struct {
		name string
		edit func(*Digest)
	}{
		{"no member", func(d *Digest) { d.Member = "" }},
		{"no time", func(d *Digest) { d.Sent = time.Time{} }},
		{"long member", func(d *Digest) { d.Member = strings.Repeat("a", maxDigestName+1) }},
		{"check without name", func(d *Digest) { d.Checks = []CheckDigest{{Result: "success"}} }},
		{"check type not UTF-8", func(d *Digest) { d.Checks = []CheckDigest{{Name: "x", Type: "\xc3"}} }},
		{"negative failures", func(d *Digest) { d.Checks = []CheckDigest{{Name: "x", ConsecutiveFailures: -1}} }},
		{"last run after sent", func(d *Digest) { d.Checks = []CheckDigest{{Name: "x", LastRun: d.Sent.Add(time.Hour)}} }},
		{"last success in 1999", func(d *Digest) {
			d.Checks = []CheckDigest{{Name: "x", LastSuccess: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}}
		}},
		{"RTT NaN", func(d *Digest) { d.RTT = []PeerRTT{{Peer: "p", Seconds: math.NaN()}} }},
		{"RTT infinite", func(d *Digest) { d.RTT = []PeerRTT{{Peer: "p", Seconds: math.Inf(1)}} }},
		{"RTT negative", func(d *Digest) { d.RTT = []PeerRTT{{Peer: "p", Seconds: -1}} }},
		{"RTT without peer", func(d *Digest) { d.RTT = []PeerRTT{{Seconds: 0.1}} }},
		{"coordinate empty", func(d *Digest) { d.Coord = &Coordinate{} }},
		{"coordinate infinite", func(d *Digest) { d.Coord = &Coordinate{Vec: []float64{math.Inf(-1)}} }},
		{"coordinate huge", func(d *Digest) { d.Coord = &Coordinate{Vec: []float64{1}, Height: 1e9} }},
		{"coordinate negative error", func(d *Digest) { d.Coord = &Coordinate{Vec: []float64{1}, Error: -1} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := valid()
			tc.edit(&d)
			_, err := d.Encode()
			require.Error(t, err)
		})
	}
	_, err := valid().Encode()
	require.NoError(t, err, "the unedited digest is valid")

	// An error is whatever a target answered: made valid UTF-8, not refused.
	d := valid()
	d.Checks = []CheckDigest{{Name: "x", Result: "failure", Error: "bad \xff\xfe body"}}
	b, err := d.Encode()
	require.NoError(t, err)
	got, err := DecodeDigest(b)
	require.NoError(t, err)
	assert.Equal(t, "bad \uFFFD body", got.Checks[0].Error)
}

// TestDigestBudget: a digest with more than fits keeps every failing check,
// then the other checks, then the most recent RTT entries, within
// MaxDigestBytes, and says it was truncated.
func TestDigestBudget(t *testing.T) {
	d := Digest{Member: "shop/web-7d9f8c6b5-x2x4z/1a2b3c4d", Sent: goldenSent,
		Coord: &Coordinate{Vec: make([]float64, CoordinateDimensions), Height: 1e-5}}
	for i := range 12 {
		result, errText := "success", ""
		if i%4 == 3 {
			result, errText = "failure", strings.Repeat("é", 100)+"\xff" // 201 bytes, cut to 128
		}
		d.Checks = append(d.Checks, CheckDigest{Name: fmt.Sprintf("check-%02d", i), Type: "http", Result: result,
			LastRun: goldenSent.Add(-time.Second), Error: errText})
	}
	for i := range 40 {
		d.RTT = append(d.RTT, PeerRTT{Peer: fmt.Sprintf("shop/web-7d9f8c6b5-%05d/1a2b3c4d", i), Seconds: 0.0002,
			At: goldenSent.Add(-time.Duration(i) * time.Second)})
	}
	b, err := d.Encode()
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), MaxDigestBytes)
	got, err := DecodeDigest(b)
	require.NoError(t, err)
	assert.True(t, got.Truncated)
	require.Len(t, got.Checks, 12, "every check fits before RTT")
	for i, c := range got.Checks {
		assert.Equal(t, i < 3, c.Result == "failure", "failing checks first: %d %s", i, c.Name)
		if c.Result == "failure" {
			assert.Equal(t, strings.Repeat("é", 64), c.Error, "cut to 128 bytes on a rune boundary")
		}
	}
	require.NotEmpty(t, got.RTT)
	assert.Less(t, len(got.RTT), 40)
	for i, r := range got.RTT {
		assert.Equal(t, d.RTT[i].Peer, r.Peer, "most recent first")
	}

	// With more failing checks than fit, failing checks take the budget; the
	// smaller passing checks fill what is left, RTT entries none.
	d.Checks = nil
	for i := range 20 {
		d.Checks = append(d.Checks, CheckDigest{Name: fmt.Sprintf("ok-%02d", i), Result: "success"},
			CheckDigest{Name: fmt.Sprintf("bad-%02d", i), Result: "timeout", Error: strings.Repeat("x", 200)})
	}
	b, err = d.Encode()
	require.NoError(t, err)
	got, err = DecodeDigest(b)
	require.NoError(t, err)
	assert.True(t, got.Truncated)
	assert.Empty(t, got.RTT)
	failing := 0
	for i, c := range got.Checks {
		if c.Result == "timeout" {
			assert.Equal(t, fmt.Sprintf("bad-%02d", i), c.Name, "failing checks first, in order")
			failing++
		}
	}
	assert.GreaterOrEqual(t, failing, 6)
	assert.Less(t, failing, 20)
	assert.Less(t, MaxDigestBytes-len(b), 150, "no room left for another failing check")
}

// FuzzDecodeDigest: any input gives an error, or a digest that validates,
// encodes within the budget and decodes again to the same member, time and
// coordinate.
func FuzzDecodeDigest(f *testing.F) {
	for name := range goldenDigests {
		f.Add(digestFile(f, name))
	}
	f.Add(digestWith(func(*Digest) {}, manyEntries(dtRTT, 3)...))
	f.Add([]byte{digestMsgType, DigestVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDigest(b)
		if err != nil {
			return
		}
		require.NoError(t, d.Validate())
		out, err := d.Encode()
		require.NoError(t, err)
		require.LessOrEqual(t, len(out), MaxDigestBytes)
		again, err := DecodeDigest(out)
		require.NoError(t, err)
		require.Equal(t, d.Member, again.Member)
		require.True(t, d.Sent.Equal(again.Sent))
		require.Equal(t, d.Coord, again.Coord)
	})
}
