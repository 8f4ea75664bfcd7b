package heartbeat

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// BenchmarkHandler measures the handler alone (auth, rate limit, cache lookup,
// verdict, JSON) without sockets: go test -run '^$' -bench Handler -benchmem ./integrations/heartbeat/
func BenchmarkHandler(b *testing.B) {
	c := newStaticCache(b, loadObjects(b, "testdata/verdicts/deployment-healthy.yaml")...)
	cfg := DefaultConfig()
	cfg.Token, cfg.RateLimit = testToken, Rate{Limit: 1 << 40, Period: time.Second}
	s, err := NewServer(cfg, c, staticMesh{"shop/Deployment/web": 2}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.NoError(b, err)
	req := httptest.NewRequest("GET", "/api/healthz/shop/deployment/web?token="+testToken, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
