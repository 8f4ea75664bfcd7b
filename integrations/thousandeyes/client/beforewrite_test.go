package client

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// BeforeWrite is asked after the budget wait, right before a write is sent; a
// refusal sends nothing and is not retried. Reads are not asked.
func TestBeforeWriteRefusesUnsent(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	errLost := errors.New("lease lost")
	var asked []time.Time
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/hal+json")
		_, _ = w.Write([]byte(`{"tests":[]}`))
	}), func(c *Config) {
		c.OrgLimit, c.BudgetShare = 4, 0.5 // 2 a second: 500 ms between requests
		c.BeforeWrite = func(context.Context) error {
			asked = append(asked, time.Now())
			return errLost
		}
	})
	start := time.Now()
	_, err := c.ListHTTPServerTests(t.Context())
	require.NoError(t, err)
	_, err = c.UpdateHTTPServerTest(t.Context(), "7", &HTTPServerTestRequest{TestName: "a"})
	require.ErrorIs(t, err, ErrWriteRefused)
	require.ErrorIs(t, err, errLost)
	err = c.DeleteHTTPServerTest(t.Context(), "7")
	require.ErrorIs(t, err, ErrWriteRefused)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{http.MethodGet: 1}, seen, "no refused write reaches the server")
	require.Len(t, asked, 2, "asked once per write: a refusal is not retried")
	assert.GreaterOrEqual(t, asked[0].Sub(start), 400*time.Millisecond, "asked after the budget wait, not before it")
}
