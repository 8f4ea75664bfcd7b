package checks

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// grpcHealthServer serves grpc.health.v1 on a local port until the test ends:
// "" and "app.Ready" SERVING, "app.Draining" NOT_SERVING.
func grpcHealthServer(t *testing.T, opts ...grpc.ServerOption) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(opts...)
	h := health.NewServer()
	h.SetServingStatus("app.Ready", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus("app.Draining", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, h)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}

func TestGRPCCheck(t *testing.T) {
	plain := grpcHealthServer(t)
	pki := newTestPKI(t)
	secure := grpcHealthServer(t, grpc.Creds(credentials.NewTLS(tlsServerConfig(pki.validCert(t)))))

	tests := []struct {
		name   string
		spec   string
		result string
		errHas string
	}{
		{"server serving", "address: " + plain, ResultSuccess, ""},
		{"service serving", "address: " + plain + "\n  service: app.Ready", ResultSuccess, ""},
		{"service not serving", "address: " + plain + "\n  service: app.Draining", ResultFailure, "health status NOT_SERVING, want SERVING"},
		{"unknown service", "address: " + plain + "\n  service: app.Nope", ResultFailure, "code = NotFound"},
		{"refused", "address: " + freeport.Addr(t), ResultFailure, "connection refused"},
		{"silent peer times out", "address: " + silentListener(t) + "\n  timeout: 500ms", ResultTimeout, "timed out after 500ms"},
		{"tls", "address: " + secure + "\n  tls: {caFile: " + pki.caFile + "}", ResultSuccess, ""},
		{"tls unknown CA", "address: " + secure + "\n  tls: {}", ResultFailure, "certificate signed by unknown authority"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := runSpec(t, "- name: c\n  type: grpc\n  "+tc.spec, testEnv(nil))
			assert.Equal(t, tc.result, rec.result, "err: %v", rec.err)
			if tc.errHas == "" {
				assert.NoError(t, rec.err)
				return
			}
			require.Error(t, rec.err)
			assert.Contains(t, rec.err.Error(), tc.errHas)
		})
	}
}
