package checks

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/buildinfo"
)

// grpcProber calls grpc.health.v1.Health/Check over a new connection per run.
type grpcProber struct {
	spec     spec.Check
	verifier *tlsVerifier
}

// newGRPCProber builds the prober of a valid grpc spec.
func newGRPCProber(s spec.Check, _ proberEnv) (prober, error) {
	g := &grpcProber{spec: s}
	if s.TLS != nil {
		g.verifier = newTLSVerifier(s.TLS)
	}
	return g, nil
}

// probe calls Check and wants SERVING.
func (g *grpcProber) probe(ctx context.Context, obs *observation) error {
	creds := insecure.NewCredentials()
	if g.verifier != nil {
		creds = credentials.NewTLS(g.verifier.config(g.verifier.serverName(g.spec.Address), obs.recordCerts))
	}
	conn, err := grpc.NewClient("passthrough:///"+g.spec.Address,
		grpc.WithTransportCredentials(creds), grpc.WithUserAgent("meshprobe/"+buildinfo.Version()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: g.spec.Service})
	if err != nil {
		return fmt.Errorf("health check: %w", ctxErr(ctx, err))
	}
	if st := resp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health status %s, want SERVING", st)
	}
	return nil
}
