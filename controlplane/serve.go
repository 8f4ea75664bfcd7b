package controlplane

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/meshprobe/meshprobe/webhook"
)

// webhookPath is where the MutatingWebhookConfiguration points.
const webhookPath = "/mutate-v1-pod"

// component is one long-running part of the process. start blocks until ctx is
// done or the component fails.
type component struct {
	name  string
	start func(ctx context.Context) error
}

// serve builds the webhook and runs it with its health and metrics servers until
// ctx is done or one of them fails. Other components of the control plane are
// appended to the list here.
func serve(ctx context.Context, o *options, log *slog.Logger) error {
	native, serverVersion, err := resolveNativeSidecar(o.nativeSidecar, o.kubeconfig)
	if err != nil {
		return err
	}
	cfg, err := o.webhookConfig(native)
	if err != nil {
		return err
	}
	log.Info("sidecar injection configured", "nativeSidecar", native, "serverVersion", serverVersion,
		"image", cfg.Image, "excludedNamespaces", cfg.ExcludedNamespaces, "strict", o.strict)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := newWebhookServer(o, cfg, log, reg)
	if err != nil {
		return err
	}
	cp, err := newControlPlane(o, log, reg)
	if err != nil {
		return err
	}
	components := []component{
		{"webhook", func(ctx context.Context) error {
			if !waitForCertificate(ctx, o.certDir, log) {
				return nil
			}
			return srv.Start(ctx)
		}},
		{"health", httpComponent(o.probeAddr, healthMux(srv.StartedChecker(), cp.readyChecks()))},
	}
	if o.metricsAddr != "0" {
		components = append(components, component{"metrics", httpComponent(o.metricsAddr, metricsMux(reg))})
	}
	components = append(components, cp.components()...)
	return runAll(ctx, log, components)
}

func newWebhookServer(o *options, cfg webhook.Config, log *slog.Logger, reg prometheus.Registerer) (ctrlwebhook.Server, error) {
	metrics, err := webhook.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	handler, err := webhook.NewHandler(cfg, o.strict, log, metrics)
	if err != nil {
		return nil, err
	}
	srv := ctrlwebhook.NewServer(ctrlwebhook.Options{
		Host:    o.webhookHost,
		Port:    o.webhookPort,
		CertDir: o.certDir,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			c.MinVersion = tls.VersionTLS12
			if !o.enableHTTP2 {
				c.NextProtos = []string{"http/1.1"}
			}
		}},
	})
	srv.Register(webhookPath, webhook.NewHTTPHandler(handler, metrics, log,
		webhook.HTTPOptions{MaxRequestBytes: o.maxRequestBytes, Timeout: o.requestTimeout}))
	return srv, nil
}

// waitForCertificate blocks until tls.crt and tls.key exist in dir, so a replica
// can start before cert-manager (or the leader, in the built-in certificate mode)
// has written its Secret; /readyz stays failing meanwhile. It returns false when
// ctx ends first.
func waitForCertificate(ctx context.Context, dir string, log *slog.Logger) bool {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var lastLog time.Time
	for {
		_, errCrt := os.Stat(filepath.Join(dir, "tls.crt"))
		_, errKey := os.Stat(filepath.Join(dir, "tls.key"))
		if errCrt == nil && errKey == nil {
			return true
		}
		if time.Since(lastLog) > 30*time.Second {
			log.Warn("waiting for the serving certificate", "certDir", dir, "tlsCrt", errCrt, "tlsKey", errKey)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

func healthMux(webhookStarted healthz.Checker, extraReady ...map[string]healthz.Checker) http.Handler {
	mux := http.NewServeMux()
	live := &healthz.Handler{Checks: map[string]healthz.Checker{"ping": healthz.Ping}}
	mux.Handle("/healthz", http.StripPrefix("/healthz", live))
	mux.Handle("/healthz/", http.StripPrefix("/healthz", live))
	readyChecks := map[string]healthz.Checker{"webhook": webhookStarted}
	for _, extra := range extraReady {
		maps.Copy(readyChecks, extra)
	}
	ready := &healthz.Handler{Checks: readyChecks}
	mux.Handle("/readyz", http.StripPrefix("/readyz", ready))
	mux.Handle("/readyz/", http.StripPrefix("/readyz", ready))
	return mux
}

// metricsMux serves reg together with controller-runtime's registry, which holds
// its webhook latency and request metrics.
func metricsMux(reg prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(
		prometheus.Gatherers{reg, ctrlmetrics.Registry},
		promhttp.HandlerOpts{MaxRequestsInFlight: 4, Timeout: 10 * time.Second},
	))
	return mux
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
