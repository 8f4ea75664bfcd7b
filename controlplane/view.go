package controlplane

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/memberverify"
	"github.com/meshprobe/meshprobe/integrations/meshview"
	"github.com/meshprobe/meshprobe/integrations/meshview/ui"
)

// viewSyncInterval is how often the cluster view reads the membership.
const viewSyncInterval = 2 * time.Second

// viewComponents builds the cluster view of this replica (every replica, so a
// failover loses nothing): the Store fed by the gossip member's digests and
// membership, and the read API and UI on --view-addr. It is off with
// --view-addr=0 and without a gossip member.
func (cp *controlPlane) viewComponents(o *options, client kubernetes.Interface, reg prometheus.Registerer) ([]component, error) {
	if o.cp.viewAddr == "0" {
		return nil, nil
	}
	if cp.mesh == nil {
		cp.log.Warn("cluster view is off: it needs the control plane's gossip member (--gossip)")
		return nil, nil
	}
	sc := meshview.DefaultStoreConfig()
	sc.Coords = cp.mesh.PeerCoordinate
	pods := cp.factory.Core().V1().Pods()
	synced, lister := pods.Informer().HasSynced, pods.Lister()
	sc.Verify = func(m gossip.Member) (string, bool) {
		if !synced() {
			return "", false
		}
		return string(memberverify.Check(m, lister).Reason), true
	}
	store, err := meshview.NewStore(sc)
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	cp.mesh.OnDigest(store.Observe)
	cfg := meshview.DefaultConfig()
	self := cp.mesh.LocalMeta()
	cfg.Replica, cfg.UI = self.Namespace+"/"+self.Pod, ui.Handler()
	srv, err := meshview.NewServer(cfg, store, client, cp.log, reg)
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	return []component{
		{"view-store", func(ctx context.Context) error { return store.Run(ctx, cp.mesh, viewSyncInterval) }},
		{"view", httpComponent(o.cp.viewAddr, srv)},
	}, nil
}
