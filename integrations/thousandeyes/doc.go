// Package thousandeyes is meshprobe's ThousandEyes sync: a controller that keeps
// ThousandEyes HTTP Server tests in step with ConfigMaps labelled
// app=thousandeyes-tests (the selector is configurable) in the namespaces an
// admin opted in: meshprobe's own, those listed in --thousandeyes-namespaces and
// those labelled meshprobe.io/thousandeyes=enabled. ConfigMaps elsewhere are
// ignored (logged, counted, and told so in their status annotation).
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
// meshprobe_thousandeyes_api_requests_total{method,code},
// meshprobe_thousandeyes_managed_tests,
// meshprobe_thousandeyes_ignored_configmaps{reason} and
// meshprobe_thousandeyes_name_conflicts{holder}.
//
// Tests are owned per install: each marker carries the install identity
// (Config.InstallID, default "<cluster>/<namespace>"), and only tests carrying
// it are updated or pruned. A test name belongs to the ConfigMap that created it.
// Every write runs under Run's context and is preceded by a read of the leader
// Lease (Config.Lease), so no write starts after leadership is lost.
//
// Subpackages: client (API v7 client), config (config.yaml loader), reconciler
// (desired vs actual); internal/testkit/tefake is a faithful fake API for tests
// and demos.
package thousandeyes
