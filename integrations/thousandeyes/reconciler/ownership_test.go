package reconciler

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

// declaring returns a source of one test named name with url, created at created.
func declaring(t *testing.T, ns, name, testName, url string, created time.Time, extra string) Source {
	t.Helper()
	s := src(t, ns, name, extra+"httpTests:\n  - testName: "+testName+"\n    url: "+url+"\n    interval: 300\n    agents: [\"3\"]\n")
	s.Created = created
	return s
}

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestOwnerWinsBeforeAnyTestExists(t *testing.T) {
	// "z" is older than "a": age decides, not the order of keys or of sources.
	older := declaring(t, "z", "te", "shared", "https://older/", t0, "")
	newer := declaring(t, "a", "te", "shared", "https://newer/", t0.Add(time.Hour), "")
	for name, order := range map[string][]Source{"older first": {older, newer}, "newer first": {newer, older}} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, Config{})
			res := e.sync(order...)
			require.NoError(t, res.Err())
			assert.Equal(t, "https://older/", e.byName()["shared"].URL)
			require.Len(t, res.Sources["a/te"].Conflicts, 1)
			c := res.Sources["a/te"].Conflicts[0]
			assert.Equal(t, HolderConfigMap, c.Holder)
			assert.Contains(t, c.Err.Error(), `httpTests[0] ("shared"): testName: owned by ConfigMap z/te`)
			assert.Empty(t, res.Sources["z/te"].Conflicts)
		})
	}
}

// Once a ConfigMap created a test, its marker makes it the owner for good: an
// older ConfigMap that declares the name later can neither overwrite nor prune it.
func TestOwnerWinsByMarker(t *testing.T) {
	e := newEnv(t, Config{})
	owner := declaring(t, "b", "te", "shared", "https://owner/", t0.Add(time.Hour), "")
	require.NoError(t, e.sync(owner).Err())
	id := e.byName()["shared"].TestID

	e.fk.ResetLog()
	challenger := declaring(t, "a", "te", "shared", "https://challenger/", t0, "prune: true\n")
	res := e.sync(challenger, owner)
	require.NoError(t, res.Err())
	assert.Zero(t, e.writes())
	require.Len(t, res.Sources["a/te"].Conflicts, 1)
	assert.Contains(t, res.Sources["a/te"].Conflicts[0].Err.Error(), "owned by ConfigMap b/te (test "+id+")")

	t.Run("still when the owner stops declaring it", func(t *testing.T) {
		e.fk.ResetLog()
		other := declaring(t, "b", "te", "unrelated", "https://unrelated/", owner.Created, "prune: false\n")
		res := e.sync(challenger, other)
		require.NoError(t, res.Err())
		assert.Len(t, res.Sources["a/te"].Conflicts, 1)
		assert.Equal(t, 1, e.writes(), "only b's new test is created")
		assert.Equal(t, "https://owner/", e.byName()["shared"].URL)
	})
}

func TestMarkerCarriesInstall(t *testing.T) {
	e := newEnv(t, Config{})
	require.NoError(t, e.sync(declaring(t, "shop", "te", "x", "https://x/", t0, "")).Err())
	m, ok := ParseMarker(e.byName()["x"].Description)
	require.True(t, ok)
	assert.Equal(t, testInstall, m.Install)
	assert.Contains(t, e.byName()["x"].Description, " install="+testInstall+"]")
}

// Two clusters' installs share one account group, with the same ConfigMap keys:
// neither updates, prunes or takes the other's tests.
func TestOtherInstallsTestsAreNeverTouched(t *testing.T) {
	e := newEnv(t, Config{})
	theirs := declaring(t, "shop", "te", "x", "https://theirs/", t0, "prune: true\n")
	require.NoError(t, e.sync(theirs).Err())
	require.Len(t, e.fk.Tests(""), 1)

	ours := newRec(t, Config{Prune: true, Install: "other-cluster/meshprobe-system"}, e.api)
	e.fk.ResetLog()
	res := ours.Sync(t.Context(), []Source{declaring(t, "shop", "te", "z", "https://z/", t0, "prune: true\n")})
	require.NoError(t, res.Err())
	assert.Equal(t, map[string]int{http.MethodGet: 1, http.MethodPost: 1}, e.calls(), "x is not ours to prune")
	assert.Equal(t, 1, res.Managed)

	e.fk.ResetLog()
	res = ours.Sync(t.Context(), []Source{declaring(t, "shop", "te", "x", "https://mine/", t0, "prune: true\n")})
	require.NoError(t, res.Err())
	require.Len(t, res.Sources["shop/te"].Conflicts, 1)
	c := res.Sources["shop/te"].Conflicts[0]
	assert.Equal(t, HolderInstall, c.Holder)
	assert.Contains(t, c.Err.Error(), `belongs to meshprobe install "`+testInstall+`"`)
	assert.Equal(t, 1, e.calls()[http.MethodDelete], "only its own z goes")
	assert.Equal(t, "https://theirs/", e.byName()["x"].URL)

	e.fk.ResetLog()
	require.NoError(t, ours.Sync(t.Context(), nil).Err(), "global prune with no ConfigMap left")
	assert.Zero(t, e.writes())
}

// A marker written before install identities is adopted by the ConfigMap it
// names when that ConfigMap declares the test here; otherwise it is left alone
// (never pruned) and holds its name.
func TestLegacyMarkerMigration(t *testing.T) {
	e := newEnv(t, Config{Prune: true})
	legacy := func(id, name, url string) string {
		return e.fk.Seed("", tefake.Test{TestName: name, URL: url, Interval: 300, Agents: []string{"3"},
			Description: "old [meshprobe id=" + id + " hash=00ff]"})
	}
	mine := legacy("shop/te/x", "x", "https://old/")
	gone := legacy("gone/te/why", "why", "https://why/")
	res := e.sync(declaring(t, "shop", "te", "x", "https://x/", t0, "prune: true\n"),
		declaring(t, "blog", "te", "why", "https://blog-why/", t0, ""))
	require.NoError(t, res.Err())
	got := e.byName()
	assert.Equal(t, mine, got["x"].TestID, "adopted in place, not created again")
	assert.Equal(t, "https://x/", got["x"].URL)
	m, _ := ParseMarker(got["x"].Description)
	assert.Equal(t, testInstall, m.Install, "the marker gains the install identity")
	require.Len(t, res.Sources["shop/te"].Actions, 1)
	assert.Equal(t, OpAdopt, res.Sources["shop/te"].Actions[0].Op)

	assert.Equal(t, gone, got["why"].TestID, "a legacy test of a ConfigMap not here is never pruned")
	assert.Equal(t, "https://why/", got["why"].URL)
	require.Len(t, res.Sources["blog/te"].Conflicts, 1)
	assert.Contains(t, res.Sources["blog/te"].Conflicts[0].Err.Error(), "owned by ConfigMap gone/te")
	assert.Equal(t, 1, res.Managed)

	e.fk.ResetLog()
	require.NoError(t, e.sync(declaring(t, "shop", "te", "x", "https://x/", t0, "prune: true\n")).Err())
	assert.Zero(t, e.writes(), "once adopted, a resync is a no-op")
}

// A copy of a managed test (cloned in the UI: same marker, another name) is not
// the marker's test: it is never pruned as a duplicate or updated.
func TestCopiesAreNotOwned(t *testing.T) {
	e := newEnv(t, Config{Prune: true})
	s := declaring(t, "shop", "te", "x", "https://x/", t0, "prune: true\n")
	require.NoError(t, e.sync(s).Err())
	orig := e.byName()["x"]
	clone := orig
	clone.TestName, clone.Interval = "x (copy)", 600
	e.fk.Seed("", clone)

	e.fk.ResetLog()
	res := e.sync(s)
	require.NoError(t, res.Err())
	assert.Zero(t, e.writes())
	assert.Equal(t, 600, e.byName()["x (copy)"].Interval)
	assert.Equal(t, 1, res.Managed)

	res = e.sync(declaring(t, "blog", "te", "x (copy)", "https://c/", t0, ""), s)
	require.Len(t, res.Sources["blog/te"].Conflicts, 1)
	assert.Contains(t, res.Sources["blog/te"].Conflicts[0].Err.Error(), `is a copy of meshprobe's test "x"`)
}

// An ignored ConfigMap (namespace not opted in) writes nothing, claims no name,
// and its existing tests are neither updated nor pruned.
func TestIgnoredSource(t *testing.T) {
	e := newEnv(t, Config{Prune: true})
	require.NoError(t, e.sync(declaring(t, "tenant", "te", "old", "https://old/", t0, "prune: true\n")).Err())

	e.fk.ResetLog()
	ignored := declaring(t, "tenant", "te", "shared", "https://tenant/", t0, "prune: true\n")
	ignored.Ignored = "namespace not enabled"
	res := e.sync(ignored, declaring(t, "team", "te", "shared", "https://team/", t0.Add(time.Hour), ""))
	require.NoError(t, res.Err())
	assert.Equal(t, map[string]int{http.MethodGet: 1, http.MethodPost: 1}, e.calls())
	assert.Equal(t, "https://team/", e.byName()["shared"].URL, "the ignored, older declaration claims nothing")
	assert.Contains(t, e.byName(), "old", "the ignored ConfigMap's test is not pruned")
	assert.Equal(t, "namespace not enabled", res.Sources["tenant/te"].Ignored)
	assert.Empty(t, res.Sources["tenant/te"].Actions)
}

func TestNewRefusesBadInstall(t *testing.T) {
	for _, id := range []string{"", "has space", "a]b", strings.Repeat("x", 128), "-lead"} {
		_, err := New(Config{Install: id}, nil, nil)
		assert.ErrorContains(t, err, "install identity", id)
	}
}
