package meshview

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// unreachableServer is a Server whose API server is never contacted.
func unreachableServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	kube, err := kubernetes.NewForConfig(&rest.Config{Host: "https://127.0.0.1:1"})
	require.NoError(t, err)
	s, _ := newTestStore(t)
	srv, err := NewServer(cfg, s, kube, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.NoError(t, err)
	return srv
}

func TestInFlightBound(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxInFlight = 2
	srv := unreachableServer(t, cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.inflight <- struct{}{}
	srv.inflight <- struct{}{} // two requests in flight
	code, h, msg := call(t, hs, http.MethodGet, PathMembers, "any")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "1", h.Get("Retry-After"))
	assert.Equal(t, "more than 2 requests in flight; retry shortly", msg)
	assert.Equal(t, 1.0, testutil.ToFloat64(srv.metrics.requests["members"][503]))
}

func TestUnreachableAPIServerIs503(t *testing.T) {
	cfg := DefaultConfig()
	srv := unreachableServer(t, cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	code, h, msg := call(t, hs, http.MethodGet, PathRTTNodes, "some-token")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "5", h.Get("Retry-After"))
	assert.Equal(t, "cannot verify the token with the Kubernetes API server now; retry shortly", msg)
	code, _, msg = call(t, hs, http.MethodGet, "/", "")
	assert.Equal(t, http.StatusNotFound, code, "no UI configured")
	assert.Equal(t, "no web UI here; the API is under /api/v1/", msg)
}

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "Bearer ": "", "": "",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		got, why := bearerToken(r)
		assert.Equal(t, want, got, header)
		assert.Equal(t, want == "", why != "", header)
	}
}

func TestConfigValidation(t *testing.T) {
	s, _ := newTestStore(t)
	bad := DefaultConfig()
	bad.CacheTTL = 0
	_, err := NewServer(bad, s, nil, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.ErrorContains(t, err, "CacheTTL")
	_, err = NewServer(DefaultConfig(), s, nil, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.ErrorContains(t, err, "nil store or Kubernetes client")
	sc := DefaultStoreConfig()
	sc.History = 0
	_, err = NewStore(sc)
	require.ErrorContains(t, err, "History")
}
