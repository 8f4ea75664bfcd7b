// Package thousandeyes is meshprobe's ThousandEyes sync: a controller that keeps
// ThousandEyes HTTP Server tests in step with ConfigMaps labelled
// app=thousandeyes-tests (the selector is configurable) in all namespaces.
//
// The controller runs on the elected leader only:
//
//	cfg := thousandeyes.DefaultConfig()
//	cfg.RegisterFlags(flag.CommandLine)      // --thousandeyes-* flags
//	cfg.LoadEnv(os.Getenv)                   // TE_API_URL, TE_API_TOKEN(_FILE), TE_AID
//	ctl, err := thousandeyes.New(cfg, kubeClient, logger, registerer)
//	if errors.Is(err, thousandeyes.ErrNotConfigured) { /* no token: sync disabled */ }
//	go ctl.Run(leaderCtx)   // returns nil when leaderCtx is cancelled
//	readiness: ctl.Healthy()
//
// Each Run starts a ConfigMap informer, waits for its cache, then runs passes:
// debounced after ConfigMap changes, every Resync period, and retried with
// backoff after a failed pass. Each pass is one reconciler.Sync (one list call;
// see package reconciler). Results are reported as Events on the ConfigMaps (one
// per create, update, delete, adopt; a Warning per error, naming the field), as
// the annotation meshprobe.io/thousandeyes-sync (JSON, written only when it
// changes), and as the metrics meshprobe_thousandeyes_operations_total{op,result},
// meshprobe_thousandeyes_api_requests_total{method,code} and
// meshprobe_thousandeyes_managed_tests.
//
// Subpackages: client (API v7 client), config (config.yaml loader), reconciler
// (desired vs actual), tefake (a faithful fake API for tests and demos).
package thousandeyes
