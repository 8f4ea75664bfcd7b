package reconciler

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

const shop = `
prune: true
httpTests:
  - testName: shop front
    url: https://shop.example.com/
    description: "runbook: https://wiki/shop"
    interval: 300
    alertsEnabled: true
    enabled: true
    verifyCertificate: true
    httpTargetTime: 800
    httpTimeLimit: 10
    agents: ["Singapore", "32"]
    alertRules: ["HTTP 5xx"]
    headers: ["X-Probe: meshprobe"]
  - testName: shop api
    url: https://api.shop.example.com/healthz
    interval: 60
    agents: ["3"]
`

func TestFirstSyncAndNoopResync(t *testing.T) {
	e := newEnv(t, Config{})
	sources := []Source{src(t, "shop", "te", shop), src(t, "blog", "te", yamlTests("blog", 2, ""))}
	res := e.sync(sources...)
	require.NoError(t, res.Err())
	c := e.calls()
	assert.Equal(t, 4, c[http.MethodPost])
	assert.Equal(t, 1, e.fk.Count(http.MethodGet, "/tests/http-server"), "one list call per pass")
	assert.Equal(t, 4, res.Managed)

	tests := e.byName()
	front := tests["shop front"]
	assert.Equal(t, []string{"3", "32"}, front.Agents, "agent names resolve to IDs")
	assert.Equal(t, []string{"1111111"}, front.AlertRules, "rule names resolve to IDs")
	assert.Equal(t, 800, front.HTTPTargetTime)
	assert.True(t, front.VerifyCertificate)
	assert.Equal(t, []string{"X-Probe: meshprobe"}, front.Headers)
	assert.True(t, strings.HasPrefix(front.Description, "runbook: https://wiki/shop [meshprobe id=shop/te/shop%20front hash="), front.Description)
	m, ok := ParseMarker(front.Description)
	require.True(t, ok)
	assert.Equal(t, "shop/te", m.Source())

	e.fk.ResetLog()
	res = e.sync(sources...)
	require.NoError(t, res.Err())
	assert.Equal(t, map[string]int{http.MethodGet: 1}, e.calls(), "a no-op resync is one list and no writes")
	assert.Equal(t, 2, res.Sources["shop/te"].Unchanged)
	assert.Equal(t, 4, res.Managed)
}

func TestOneChangedFieldIsOnePUT(t *testing.T) {
	e := newEnv(t, Config{})
	require.NoError(t, e.sync(src(t, "shop", "te", shop)).Err())
	before := e.byName()["shop front"]
	e.fk.ResetLog()

	edited := strings.Replace(shop, "interval: 300", "interval: 600", 1)
	res := e.sync(src(t, "shop", "te", edited))
	require.NoError(t, res.Err())
	assert.Equal(t, map[string]int{http.MethodGet: 1, http.MethodPut: 1}, e.calls())
	after := e.byName()["shop front"]
	assert.Equal(t, 600, after.Interval)
	assert.Equal(t, before.TestID, after.TestID)
	assert.Equal(t, before.Agents, after.Agents, "every managed field is sent on PUT")
	assert.Equal(t, before.AlertRules, after.AlertRules)
	assert.Equal(t, before.Headers, after.Headers)
	acts := res.Sources["shop/te"].Actions
	require.Len(t, acts, 1)
	assert.Equal(t, OpUpdate, acts[0].Op)
	assert.Equal(t, "declaration changed", acts[0].Reason)
}

func TestRemovingTheLastHeaderClearsIt(t *testing.T) {
	e := newEnv(t, Config{})
	require.NoError(t, e.sync(src(t, "shop", "te", shop)).Err())
	require.Equal(t, []string{"X-Probe: meshprobe"}, e.byName()["shop front"].Headers)

	noHeaders := strings.Replace(shop, "    headers: [\"X-Probe: meshprobe\"]\n", "", 1)
	require.NotEqual(t, shop, noHeaders)
	require.NoError(t, e.sync(src(t, "shop", "te", noHeaders)).Err())
	assert.Empty(t, e.byName()["shop front"].Headers, "the PUT must send headers: [] to remove them")

	e.fk.ResetLog()
	require.NoError(t, e.sync(src(t, "shop", "te", noHeaders)).Err())
	assert.Zero(t, e.writes(), "once cleared, the resync sees no drift")
}

func TestDriftMadeByHandIsRepaired(t *testing.T) {
	e := newEnv(t, Config{})
	s := src(t, "shop", "te", shop)
	require.NoError(t, e.sync(s).Err())
	id := e.byName()["shop api"].TestID
	require.True(t, e.fk.Mutate("", id, func(t *tefake.Test) { t.Interval = 3600; t.Enabled = false }))
	e.fk.ResetLog()
	res := e.sync(s)
	require.NoError(t, res.Err())
	assert.Equal(t, 1, e.calls()[http.MethodPut])
	assert.Equal(t, 60, e.byName()["shop api"].Interval)
	assert.True(t, e.byName()["shop api"].Enabled)
	assert.Contains(t, res.Sources["shop/te"].Actions[0].Reason, "interval")
}

func TestPrune(t *testing.T) {
	three := yamlTests("app", 3, "")
	two := yamlTests("app", 2, "")
	t.Run("off: undeclared tests stay", func(t *testing.T) {
		e := newEnv(t, Config{})
		require.NoError(t, e.sync(src(t, "a", "te", three)).Err())
		e.fk.ResetLog()
		require.NoError(t, e.sync(src(t, "a", "te", two)).Err())
		assert.Equal(t, 0, e.writes())
		assert.Len(t, e.fk.Tests(""), 3)
	})
	t.Run("per ConfigMap", func(t *testing.T) {
		e := newEnv(t, Config{})
		require.NoError(t, e.sync(src(t, "a", "te", three), src(t, "b", "te", yamlTests("b", 1, ""))).Err())
		e.fk.ResetLog()
		res := e.sync(src(t, "a", "te", yamlTests("app", 2, "prune: true\n")), src(t, "b", "te", yamlTests("other", 1, "")))
		require.NoError(t, res.Err())
		assert.Equal(t, 1, e.calls()[http.MethodDelete], "only a's undeclared test goes; b does not prune")
		assert.NotContains(t, e.byName(), "app-2")
		assert.Contains(t, e.byName(), "b-0")
	})
	t.Run("global flag", func(t *testing.T) {
		e := newEnv(t, Config{Prune: true})
		require.NoError(t, e.sync(src(t, "a", "te", three)).Err())
		require.NoError(t, e.sync(src(t, "a", "te", two)).Err())
		assert.Len(t, e.fk.Tests(""), 2)
	})
	t.Run("deleted ConfigMap with prune", func(t *testing.T) {
		e := newEnv(t, Config{})
		s := src(t, "a", "te", yamlTests("app", 2, "prune: true\n"))
		keep := src(t, "b", "te", yamlTests("keep", 1, ""))
		require.NoError(t, e.sync(s, keep).Err())
		s.Deleted = true
		res := e.sync(s, keep)
		require.NoError(t, res.Err())
		assert.Len(t, e.fk.Tests(""), 1)
		assert.True(t, res.Sources["a/te"].Deleted)
		assert.Equal(t, 1, res.Managed)
	})
	t.Run("deleted ConfigMap without prune", func(t *testing.T) {
		e := newEnv(t, Config{})
		s := src(t, "a", "te", three)
		require.NoError(t, e.sync(s).Err())
		s.Deleted = true
		require.NoError(t, e.sync(s).Err())
		require.NoError(t, e.sync().Err(), "a ConfigMap never seen is not pruned without the global flag")
		assert.Len(t, e.fk.Tests(""), 3)
	})
	t.Run("invalid ConfigMap is never pruned", func(t *testing.T) {
		e := newEnv(t, Config{Prune: true})
		require.NoError(t, e.sync(src(t, "a", "te", three)).Err())
		e.fk.ResetLog()
		res := e.sync(Source{Namespace: "a", Name: "te", Err: assert.AnError})
		require.ErrorIs(t, res.Err(), assert.AnError)
		assert.Equal(t, 0, e.writes())
		assert.Len(t, e.fk.Tests(""), 3)
	})
}

func TestUnownedTestsUntouched(t *testing.T) {
	e := newEnv(t, Config{Prune: true})
	hand := tefake.Test{TestName: "hand made", URL: "https://shop.example.com/", Interval: 60, Agents: []string{"3"}, Description: "by a human"}
	id := e.fk.Seed("", hand)
	res := e.sync(src(t, "shop", "te", shop))
	require.NoError(t, res.Err())
	got := e.byName()
	assert.Equal(t, "by a human", got["hand made"].Description)
	assert.Equal(t, 60, got["hand made"].Interval, "same URL, but without the marker it is not ours")
	assert.NotEqual(t, id, got["shop front"].TestID)

	t.Run("name clash is reported, not overwritten", func(t *testing.T) {
		e := newEnv(t, Config{})
		e.fk.Seed("", tefake.Test{TestName: "shop api", URL: "https://elsewhere/", Interval: 60, Agents: []string{"3"}})
		e.fk.ResetLog()
		res := e.sync(src(t, "shop", "te", shop))
		require.NoError(t, res.Err(), "a name conflict is not an error a retry can fix")
		conflicts := res.Sources["shop/te"].Conflicts
		require.Len(t, conflicts, 1)
		assert.Equal(t, HolderUnmanaged, conflicts[0].Holder)
		assert.Contains(t, conflicts[0].Err.Error(), `httpTests[1] ("shop api"): testName:`)
		assert.Equal(t, 1, e.calls()[http.MethodPost], "the other test is still created")
		assert.Equal(t, "https://elsewhere/", e.byName()["shop api"].URL)
	})
}

func TestAdoptByURL(t *testing.T) {
	e := newEnv(t, Config{AdoptByURL: true})
	id := e.fk.Seed("", tefake.Test{TestName: "legacy", URL: "https://api.shop.example.com/healthz", Interval: 600, Agents: []string{"4"}})
	e.fk.Seed("", tefake.Test{TestName: "twin-1", URL: "https://twin/", Interval: 60, Agents: []string{"3"}})
	e.fk.Seed("", tefake.Test{TestName: "twin-2", URL: "https://twin/", Interval: 60, Agents: []string{"3"}})
	twin := "httpTests:\n  - testName: twin\n    url: https://twin/\n    interval: 60\n    agents: [\"3\"]\n"
	res := e.sync(src(t, "shop", "te", shop), src(t, "x", "te", twin))
	require.NoError(t, res.Err())
	got := e.byName()
	assert.Equal(t, id, got["shop api"].TestID, "the unmarked test with the URL is adopted")
	assert.NotContains(t, got, "legacy")
	assert.Contains(t, got["shop api"].Description, "[meshprobe id=shop/te/shop%20api")
	assert.Contains(t, got, "twin", "two unmarked tests share the URL: none is adopted")
	assert.Equal(t, "", got["twin-1"].Description)
}

func TestUnknownAgents(t *testing.T) {
	e := newEnv(t, Config{})
	bad := "httpTests:\n  - testName: x\n    url: https://x/\n    interval: 60\n    agents: [\"Mars\"]\n  - testName: y\n    url: https://y/\n    interval: 60\n    agents: [\"999\"]\n"
	res := e.sync(src(t, "a", "bad", bad), src(t, "b", "good", yamlTests("good", 1, "")))
	err := res.Sources["a/bad"].Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `httpTests[0] ("x"): agents[0]: no agent named "Mars"`)
	assert.Contains(t, err.Error(), `agents: agent with id "999" does not exist`, "the API's field error is passed on")
	require.NoError(t, res.Sources["b/good"].Err(), "other ConfigMaps keep syncing")
	assert.Contains(t, e.byName(), "good-0")
}

func TestDryRun(t *testing.T) {
	e := newEnv(t, Config{Prune: true})
	require.NoError(t, e.sync(src(t, "a", "te", yamlTests("app", 3, ""))).Err())
	e.fk.ResetLog()
	res := e.sync(src(t, "a", "te", yamlTests("app", 1, "dryRun: true\n")), src(t, "b", "te", yamlTests("b", 1, "")))
	require.NoError(t, res.Err())
	assert.Equal(t, 1, e.calls()[http.MethodPost], "dryRun applies to its own ConfigMap only")
	assert.Equal(t, 0, e.calls()[http.MethodDelete])
	acts := res.Sources["a/te"].Actions
	require.Len(t, acts, 2)
	for _, a := range acts {
		assert.True(t, a.DryRun)
		assert.Equal(t, OpDelete, a.Op)
	}
	assert.Len(t, e.fk.Tests(""), 4)
}
