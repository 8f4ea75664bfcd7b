package controlplane

import (
	"context"
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/meshprobe/meshprobe/webhook"
)

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
	cfg.Strict = o.strict
	handler, err := webhook.NewHandler(cfg, metrics, log)
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
	srv.Register(webhookPath, webhook.NewHTTPHandler(
		webhook.HTTPConfig{MaxRequestBytes: o.maxRequestBytes, Timeout: o.requestTimeout, MaxInFlight: o.maxInFlight}, handler, metrics, log))
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
