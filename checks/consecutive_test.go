package checks

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestManagerConsecutiveFailures: failed runs count up, a success resets the
// count (the gossip digests report it).
func TestManagerConsecutiveFailures(t *testing.T) {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	m, _, _ := newTestManager(t, Config{}, nil)
	require.NoError(t, m.Reload("- {name: web, type: http, url: '"+srv.URL+"'}"))
	run := m.runnerSnapshot()["web"]
	count := func() int { return m.Report().Checks[0].ConsecutiveFailures }

	assert.Zero(t, count(), "pending")
	down.Store(true)
	run.runOnce(t.Context())
	run.runOnce(t.Context())
	assert.Equal(t, 2, count())
	assert.Equal(t, ResultFailure, m.Report().Checks[0].LastResult)
	down.Store(false)
	run.runOnce(t.Context())
	assert.Zero(t, count(), "a success resets the count")
	down.Store(true)
	run.runOnce(t.Context())
	assert.Equal(t, 1, count())
}
