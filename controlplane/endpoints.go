package controlplane

// The process's HTTP endpoints besides the webhook's HTTPS server. The ports
// (webhook 9443, metrics 8080, probes 8081, heartbeat 8082, gossip 14100) are
// flag defaults in options.go and the integrations' packages.

import (
	"maps"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// webhookPath is where the MutatingWebhookConfiguration points.
const webhookPath = "/mutate-v1-pod"

// healthMux serves /healthz (the process is alive) and /readyz (the webhook
// has started and every extra check passes).
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
