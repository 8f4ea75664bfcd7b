package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/internal/logging"
)

// Server is the heartbeat HTTP API. Its handler is safe for concurrent use; Run
// may be called again after it returns (each leadership term calls it once).
type Server struct {
	cfg     Config
	cache   *Cache
	mesh    MeshView
	log     *slog.Logger
	auth    authenticator
	clients clientResolver
	// limiter counts authenticated requests, failures the others; nil: unlimited.
	limiter  *limiter
	failures *limiter
	metrics  *metrics
}

// NewServer checks cfg and builds the server. mesh may be nil when the process
// runs no gossip member; verdicts then carry no mesh section. The request counter
// is registered with reg.
func NewServer(cfg Config, c *Cache, mesh MeshView, log *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("heartbeat: nil cache")
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, cache: c, mesh: mesh, log: log, auth: newAuthenticator(cfg.Token, cfg.InsecureNoAuth),
		clients: clientResolver{trusted: cfg.TrustedProxies}, metrics: m}
	if !cfg.RateLimit.Unlimited() {
		s.limiter = newLimiter(cfg.RateLimit, cfg.MaxClients, cfg.Clock)
	}
	if !cfg.FailedAuthRateLimit.Unlimited() {
		s.failures = newLimiter(cfg.FailedAuthRateLimit, cfg.MaxClients, cfg.Clock)
	}
	if cfg.InsecureNoAuth {
		log.Warn("heartbeat: serving WITHOUT authentication (--insecure-no-auth)")
	}
	return s, nil
}

// Run waits for the informer caches, listens on cfg.Addr and serves until ctx is
// done, then shuts down gracefully within cfg.ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	if err := s.cache.WaitForSync(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("heartbeat: listening on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then shuts down gracefully. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          logging.StdLogger(s.log),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("heartbeat: serving", "addr", ln.Addr().String(), "rateLimit", s.cfg.RateLimit.String(),
		"failedAuthRateLimit", s.cfg.FailedAuthRateLimit.String(), "trustedProxies", len(s.cfg.TrustedProxies))
	select {
	case err := <-errc:
		return fmt.Errorf("heartbeat: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	<-errc
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("heartbeat: shutting down: %w", err)
	}
	s.log.Info("heartbeat: stopped", "addr", ln.Addr().String())
	return nil
}
