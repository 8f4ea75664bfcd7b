package controlplane

// The control plane's trust tasks: missed injections (leader-only) and the
// built-in webhook certificates (a leader-only task, plus an optional Secret
// syncer on every replica). The gossip-key task is wired in leader.go. These
// are plugged in by controlPlaneOptions.trust (options.go: the flags),
// leaderTasks (leader.go: trustLeaderTasks) and newControlPlane
// (controlplane.go: trustComponents).

import (
	"flag"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/integrations/missedinjection"
	"github.com/meshprobe/meshprobe/integrations/webhookcerts"
	"github.com/meshprobe/meshprobe/webhook"
)

// Values of --webhook-certs.
const (
	certsExternal = "external"
	certsBuiltin  = "builtin"
)

// trustOptions are the flags of the trust tasks.
type trustOptions struct {
	missed    missedinjection.Config
	certs     webhookcerts.Config
	certsMode string
	certSync  bool
}

// registerFlags adds --repair-missed*, --webhook-certs, --webhook-cert-sync and
// --webhook-{ca,cert}-validity to fs.
func (t *trustOptions) registerFlags(fs *flag.FlagSet) {
	t.missed = missedinjection.DefaultConfig()
	t.missed.RegisterFlags(fs)
	t.certs = webhookcerts.DefaultConfig()
	t.certs.RegisterFlags(fs)
	fs.StringVar(&t.certsMode, "webhook-certs", certsExternal,
		"where the webhook's serving certificate comes from: external (cert-manager, or anything that fills the Secret and the caBundle) or builtin (the leader mints and rotates a CA and certificate and patches the caBundle)")
	fs.BoolVar(&t.certSync, "webhook-cert-sync", false,
		"write the serving certificate from the Secret "+t.certs.SecretName+" into --cert-dir on this replica (for an emptyDir --cert-dir, or where no kubelet updates the mounted Secret)")
}

// trustLeaderTasks builds the trust tasks from the process options. The webhook
// configuration is built as serve builds it; the tasks only read its selection
// rules (the excluded namespaces), never the sidecar's shape.
func trustLeaderTasks(o *options, client kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) ([]leader.Task, error) {
	wcfg, err := o.webhookConfig(true)
	if err != nil {
		return nil, err
	}
	return trustTasks(&o.cp.trust, o.namespace, &wcfg, client, log, reg)
}

// trustTasks builds the leader-only trust tasks: the missed-injection task
// always, the certificate task with --webhook-certs=builtin.
func trustTasks(t *trustOptions, namespace string, wcfg *webhook.Config, client kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) ([]leader.Task, error) {
	builtin, err := t.builtin()
	if err != nil {
		return nil, err
	}
	mc := t.missed
	mc.Webhook = wcfg
	missed, err := missedinjection.New(mc, client, log, reg)
	if err != nil {
		return nil, err
	}
	tasks := []leader.Task{missed.Task()}
	if builtin {
		cc := t.certs
		cc.Namespace = namespace
		certs, err := webhookcerts.New(cc, client, log)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, certs.Task())
	}
	return tasks, nil
}

// trustComponents are the trust parts every replica runs: the certificate
// syncer with --webhook-cert-sync.
func trustComponents(t *trustOptions, namespace, certDir string, client kubernetes.Interface, log *slog.Logger) []component {
	if !t.certSync {
		return nil
	}
	s := webhookcerts.NewSyncer(client, namespace, t.certs.SecretName, certDir, log)
	return []component{{"webhook-cert-sync", s.Run}}
}

func (t *trustOptions) builtin() (bool, error) {
	switch t.certsMode {
	case certsExternal:
		return false, nil
	case certsBuiltin:
		return true, nil
	}
	return false, fmt.Errorf("--webhook-certs %q: want %s or %s", t.certsMode, certsExternal, certsBuiltin)
}
