package reconciler

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
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
		res := newRec(t, Config{}, bad).Sync(t.Context(), []Source{src(t, "a", "te", yamlTests("app", 1, ""))})
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

// Cancelling a pass (leadership lost) cuts off the write in flight and starts no
// other: the cut-off POST never takes effect (the fake held it before applying
// it) and the remaining writes are not attempted.
func TestCancelledPassCutsOffWrites(t *testing.T) {
	fk := tefake.New(tefake.Config{Token: "tok", Window: time.Second})
	fk.AddFault(tefake.Fault{Method: http.MethodPost, Delay: time.Minute, Times: 1})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			// Read the body, so the server notices the client going away.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			once.Do(cancel) // leadership is lost while the first create is in flight
		}
		fk.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	api, err := client.New(client.Config{BaseURL: srv.URL + "/v7", Token: "tok", Window: time.Second})
	require.NoError(t, err)

	res := newRec(t, Config{}, api).Sync(ctx, []Source{src(t, "a", "te", yamlTests("app", 3, ""))})
	acts := res.Sources["a/te"].Actions
	require.Len(t, acts, 3)
	assert.ErrorIs(t, acts[0].Err, context.Canceled, "the write in flight is cut off, not waited for")
	assert.NotContains(t, acts[0].Err.Error(), "not attempted")
	for _, a := range acts[1:] {
		assert.ErrorIs(t, a.Err, context.Canceled)
		assert.Contains(t, a.Err.Error(), "not attempted")
	}
	assert.Empty(t, fk.Tests(""))
	assert.Zero(t, fk.Count(http.MethodPut, "")+fk.Count(http.MethodDelete, ""))
}

var errLeaseLost = errors.New("lease held by another replica")

// Guard is asked right before each write; once it refuses, no write of the pass
// reaches the fake, and it is not asked again.
func TestGuardRefusesWritesAfterLeaseLoss(t *testing.T) {
	var asked atomic.Int32
	e := newEnv(t, Config{Guard: func(context.Context) error {
		if asked.Add(1) > 1 {
			return errLeaseLost
		}
		return nil
	}})
	res := e.sync(src(t, "a", "te", yamlTests("app", 3, "")))
	assert.Equal(t, 1, e.writes(), "only the write before the loss reaches the fake")
	assert.Len(t, e.fk.Tests(""), 1)
	acts := res.Sources["a/te"].Actions
	require.Len(t, acts, 3)
	require.NoError(t, acts[0].Err)
	assert.ErrorIs(t, acts[1].Err, errLeaseLost)
	assert.ErrorIs(t, acts[2].Err, errLeaseLost)
	assert.Equal(t, int32(2), asked.Load())
}
