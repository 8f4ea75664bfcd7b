package reconciler

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

func TestListFailureWritesNothing(t *testing.T) {
	for name, fault := range map[string]tefake.Fault{
		"500":     {Method: http.MethodGet, Path: "/tests/http-server", Status: http.StatusInternalServerError},
		"502":     {Method: http.MethodGet, Path: "/tests/http-server", Status: http.StatusBadGateway},
		"429":     {Method: http.MethodGet, Path: "/tests/http-server", Status: http.StatusTooManyRequests},
		"timeout": {Method: http.MethodGet, Path: "/tests/http-server", Delay: 5 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, Config{Prune: true})
			e.fk.AddFault(fault)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			res := e.rec.Sync(ctx, []Source{src(t, "a", "te", yamlTests("app", 3, "prune: true\n"))})
			require.Error(t, res.ListErr)
			assert.Contains(t, res.ListErr.Error(), "pass aborted with no writes")
			assert.Equal(t, 0, e.writes())
			assert.Empty(t, e.fk.Tests(""))
		})
	}
	t.Run("401", func(t *testing.T) {
		e := newEnv(t, Config{})
		bad, err := client.New(client.Config{BaseURL: e.api.BaseURL(), Token: "wrong"})
		require.NoError(t, err)
		res := New(Config{}, bad, e.rec.log).Sync(t.Context(), []Source{src(t, "a", "te", yamlTests("app", 1, ""))})
		require.True(t, client.IsUnauthorized(res.ListErr), "%v", res.ListErr)
		assert.Contains(t, res.ListErr.Error(), "Invalid access token")
		assert.Equal(t, 0, e.writes())
	})
}

// A lost create response (the test exists, the client saw a 502) must not turn
// into a duplicate: the next pass finds the marker.
func TestLostCreateResponseNoDuplicate(t *testing.T) {
	e := newEnv(t, Config{})
	e.fk.AddFault(tefake.Fault{Method: http.MethodPost, Status: http.StatusBadGateway, AfterHandle: true, Times: 2})
	s := src(t, "a", "te", yamlTests("app", 4, ""))
	res := e.sync(s)
	require.Error(t, res.Err())
	assert.Equal(t, 4, e.calls()[http.MethodPost], "a failed POST is not retried")
	e.fk.ResetLog()
	require.NoError(t, e.sync(s).Err())
	assert.Equal(t, 0, e.writes(), "the created tests are found by their marker")
	assert.Len(t, e.byName(), 4)
}

// A storm of 429s (every other request, six of them) never creates a duplicate,
// and passes converge once it passes. POSTs rejected with 429 are not retried in
// the pass; the next pass lists and creates what is still missing.
func Test429StormConverges(t *testing.T) {
	e := newEnv(t, Config{Prune: true})
	e.fk.AddFault(tefake.Fault{Status: http.StatusTooManyRequests, Every: 2, Times: 6})
	s := src(t, "a", "te", yamlTests("app", 6, "prune: true\n"))
	converged := false
	for pass := 0; pass < 10 && !converged; pass++ {
		converged = e.sync(s).Err() == nil
		assert.Positive(t, e.fk.Count(http.MethodGet, "/tests/http-server"))
		tests := e.fk.Tests("")
		names := map[string]bool{}
		for _, tt := range tests {
			require.False(t, names[tt.TestName], "duplicate %q after pass %d", tt.TestName, pass)
			names[tt.TestName] = true
		}
	}
	require.True(t, converged, "passes converge under a 429 storm")
	assert.Len(t, e.byName(), 6)
	e.fk.ClearFaults()
	e.fk.ResetLog()
	require.NoError(t, e.sync(s).Err())
	assert.Equal(t, 0, e.writes())
}

// Cancelling a pass (leadership lost) lets the write in flight finish and starts
// no other.
func TestCancelledPassFinishesWriteInFlight(t *testing.T) {
	e := newEnv(t, Config{})
	e.fk.AddFault(tefake.Fault{Method: http.MethodPost, Delay: 300 * time.Millisecond, AfterHandle: true, Times: 1})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := e.rec.Sync(ctx, []Source{src(t, "a", "te", yamlTests("app", 3, ""))})
	acts := res.Sources["a/te"].Actions
	require.Len(t, acts, 3)
	require.NoError(t, acts[0].Err, "the write in flight completes")
	assert.NotEmpty(t, acts[0].TestID)
	assert.ErrorIs(t, acts[1].Err, context.Canceled)
	assert.ErrorIs(t, acts[2].Err, context.Canceled)
	assert.Len(t, e.fk.Tests(""), 1)
}
