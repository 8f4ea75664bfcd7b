package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// component is one long-running part of the process. start blocks until ctx is
// done or the component fails.
type component struct {
	name  string
	start func(ctx context.Context) error
}

// httpComponent serves h on addr with timeouts until ctx is done.
func httpComponent(addr string, h http.Handler) func(context.Context) error {
	return func(ctx context.Context) error {
		srv := &http.Server{
			Addr: addr, Handler: h,
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
			BaseContext: func(net.Listener) context.Context { return ctx },
		}
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		select {
		case err := <-errc:
			return fmt.Errorf("serving %s: %w", addr, err)
		case <-ctx.Done():
		}
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shutting down %s: %w", addr, err)
		}
		return nil
	}
}

// runAll runs the components until ctx is done or one of them returns; then it
// stops the rest and returns the first error.
func runAll(ctx context.Context, log *slog.Logger, components []component) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(components))
	for _, c := range components {
		go func() {
			err := c.start(ctx)
			if err != nil {
				err = fmt.Errorf("%s: %w", c.name, err)
			} else if ctx.Err() == nil {
				err = fmt.Errorf("%s: stopped unexpectedly", c.name)
			}
			log.Debug("component stopped", "component", c.name, "err", err)
			errc <- err
		}()
	}
	var first error
	for range components {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}
