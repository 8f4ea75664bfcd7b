package controlplane

// The control-plane role of meshprobe-webhook. Every replica runs the shared
// informers (so a new leader answers at once) and a gossip seed member; the
// replica that holds the Lease runs the leader-only tasks. leaderTasks
// (leader.go) is the one place where a leader-only task is plugged in.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes"
)

// controlPlane is the wired control-plane role.
type controlPlane struct {
	log     *slog.Logger
	factory informers.SharedInformerFactory
	events  record.EventBroadcaster
	mesh    *gossip.Mesh             // nil with --gossip=false
	elector *leader.Elector          // nil with --leader-elect=false
	te      *thousandeyes.Controller // nil without a ThousandEyes token
	trust   []component              // per-replica trust parts (trust.go)
	view    []component              // the cluster view (view.go)
}

// newControlPlane builds the control-plane role from the options. Without any
// Kubernetes client config (no --kubeconfig, $KUBECONFIG, in-cluster config or
// ~/.kube/config) only the webhook runs, as in a local trial.
func newControlPlane(o *options, log *slog.Logger, reg prometheus.Registerer) (*controlPlane, error) {
	rc, err := restConfig(o.kubeconfig)
	if err != nil && o.kubeconfig == "" {
		log.Error("control plane is off: no Kubernetes client config; only the webhook runs", "err", err)
		return &controlPlane{log: log}, nil
	}
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(preferProtobuf(rc))
	if err != nil {
		return nil, fmt.Errorf("control plane: building the Kubernetes client: %w", err)
	}
	cp := &controlPlane{
		log:     log,
		factory: informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(trimShared)),
		events:  record.NewBroadcaster(),
		trust:   trustComponents(&o.cp.trust, o.namespace, o.certDir, client, log),
	}
	if o.cp.gossip {
		if cp.mesh, err = newControlPlaneMesh(o, log, reg); err != nil {
			return nil, err
		}
	}
	if cp.view, err = cp.viewComponents(o, client, reg); err != nil {
		return nil, err
	}
	if !o.cp.leaderElect {
		log.Warn("leader election is off (--leader-elect=false): no leader-only task runs on this replica")
		return cp, nil
	}
	tasks, err := cp.leaderTasks(o, client, reg)
	if err != nil {
		return nil, err
	}
	lc, err := cp.leaderConfig(o)
	if err != nil {
		return nil, err
	}
	if cp.elector, err = leader.New(lc, client, tasks, log, reg); err != nil {
		return nil, err
	}
	cp.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return cp, nil
}

// components are the control plane's long-running parts, for runAll.
func (cp *controlPlane) components() []component {
	if cp.factory == nil {
		return nil
	}
	list := []component{{"informers", cp.runInformers}}
	if cp.mesh != nil {
		list = append(list, component{"gossip", cp.mesh.Run})
	}
	if cp.elector != nil {
		list = append(list, component{"leader-election", cp.elector.Run})
	}
	list = append(list, cp.view...)
	return append(list, cp.trust...)
}

// runInformers fills the shared caches on every replica, so that a new leader
// answers heartbeats at once, and stops them when ctx ends.
func (cp *controlPlane) runInformers(ctx context.Context) error {
	cp.factory.Start(ctx.Done())
	<-ctx.Done()
	cp.factory.Shutdown()
	cp.events.Shutdown()
	return nil
}

// readyChecks are readiness checks of the leader-only work: while this replica
// leads, the ThousandEyes sync loop must be alive.
func (cp *controlPlane) readyChecks() map[string]healthz.Checker {
	checks := map[string]healthz.Checker{}
	if cp.te != nil && cp.elector != nil {
		checks["thousandeyes"] = func(*http.Request) error {
			if !cp.elector.IsLeader() {
				return nil
			}
			return cp.te.Healthy()
		}
	}
	return checks
}
