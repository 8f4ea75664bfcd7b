package reconciler

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

// upgradeDir holds what the previous release (markers without install=) left in
// a ThousandEyes account for two ConfigMaps (testdata/upgrade/README.md).
var upgradeDir = filepath.Join("testdata", "upgrade")

// previousMarkerRE is the previous release's marker grammar, frozen from commit
// c2087ad^ (marker.go).
var previousMarkerRE = regexp.MustCompile(`\[meshprobe id=([^\s\]]+) hash=([0-9a-f]+)\]`)

// goldenSources are the ConfigMaps the previous release synced, by file
// <namespace>_<name>.yaml.
func goldenSources(t *testing.T, files ...string) []Source {
	t.Helper()
	var out []Source
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(upgradeDir, f))
		require.NoError(t, err)
		ns, name, _ := strings.Cut(strings.TrimSuffix(f, ".yaml"), "_")
		out = append(out, src(t, ns, name, string(b)))
	}
	return out
}

// seedPreviousAccount stores the previous release's tests in the fake and
// returns their IDs by name.
func seedPreviousAccount(t *testing.T, e *env) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(upgradeDir, "v1-account.json"))
	require.NoError(t, err)
	var tests []tefake.Test
	require.NoError(t, json.Unmarshal(b, &tests))
	ids := map[string]string{}
	for _, tt := range tests {
		ids[tt.TestName] = e.fk.Seed("", tt)
	}
	return ids
}

func TestPreviousMarkersParse(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(upgradeDir, "v1-descriptions.txt"))
	require.NoError(t, err)
	want := map[string]Marker{
		"blog-home":    {ID: "blog/te/blog-home", Hash: "99aabb7adcf160b4"},
		"checkout-api": {ID: "shop/te-checkout/checkout-api", Hash: "1bc8c9e5ee334e58"},
		"cart api/v2":  {ID: "shop/te-checkout/cart%20api%2Fv2", Hash: "70200ad1faf887b4"},
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, len(want))
	for _, desc := range lines {
		m, ok := ParseMarker(desc)
		require.True(t, ok, desc)
		assert.Equal(t, want[m.Name()], m, desc)
		assert.Empty(t, m.Install, "a previous marker is a legacy one")
		assert.True(t, strings.HasSuffix(desc, m.String()), "this release writes a marker without install exactly as the previous one: %s", desc)
	}
	// What the previous release makes of this release's markers.
	cur := Marker{ID: "shop/te-checkout/checkout-api", Hash: "1bc8c9e5ee334e58", Install: testInstall}.String()
	assert.False(t, previousMarkerRE.MatchString(cur),
		"the previous release does not see a marker with install= as its own (see testdata/upgrade/README.md)")
}

// After the upgrade, the tests the previous release created are adopted in
// place by the ConfigMaps that still declare them (no duplicate), and a test
// of a ConfigMap that is gone is kept, not pruned, even with global prune.
func TestUpgradeAdoptsPreviousTests(t *testing.T) {
	e := newEnv(t, Config{Prune: true})
	ids := seedPreviousAccount(t, e)
	res := e.sync(goldenSources(t, "shop_te-checkout.yaml")...)
	require.NoError(t, res.Err())

	assert.Equal(t, map[string]int{http.MethodGet: 1, http.MethodPut: 2}, e.calls(), "two adoptions, nothing created or deleted")
	for _, a := range res.Sources["shop/te-checkout"].Actions {
		assert.Equal(t, OpAdopt, a.Op, a.TestName)
		assert.Equal(t, ids[a.TestName], a.TestID, a.TestName)
	}
	got := e.byName() // fails on a duplicate name
	require.Len(t, got, 3)
	for _, name := range []string{"checkout-api", "cart api/v2"} {
		assert.Equal(t, ids[name], got[name].TestID, "%s adopted in place", name)
		m, ok := ParseMarker(got[name].Description)
		require.True(t, ok)
		assert.Equal(t, testInstall, m.Install, name)
		assert.Equal(t, 1, strings.Count(got[name].Description, "[meshprobe "), "%s: the marker is replaced, not added", name)
	}
	assert.Equal(t, "Checkout API health, owned by team shop [meshprobe id=shop/te-checkout/checkout-api hash=1bc8c9e5ee334e58 install="+testInstall+"]",
		got["checkout-api"].Description, "the declared description is kept and the hash is the previous release's")
	assert.Equal(t, ids["blog-home"], got["blog-home"].TestID, "the legacy test of a ConfigMap not declared here is never pruned")
	m, _ := ParseMarker(got["blog-home"].Description)
	assert.Empty(t, m.Install, "and left as the previous release wrote it")

	e.fk.ResetLog()
	res = e.sync(goldenSources(t, "shop_te-checkout.yaml", "blog_te.yaml")...)
	require.NoError(t, res.Err())
	assert.Equal(t, map[string]int{http.MethodGet: 1, http.MethodPut: 1}, e.calls(), "blog/te, declared again, adopts its test")
	assert.Equal(t, ids["blog-home"], e.byName()["blog-home"].TestID)

	e.fk.ResetLog()
	require.NoError(t, e.sync(goldenSources(t, "shop_te-checkout.yaml", "blog_te.yaml")...).Err())
	assert.Zero(t, e.writes(), "once adopted, a resync is a no-op")
}
