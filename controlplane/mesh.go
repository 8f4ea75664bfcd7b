package controlplane

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/buildinfo"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/webhook"
)

// newControlPlaneMesh builds the control plane's gossip seed member. It only
// listens and keeps membership: RTT probing is the sidecars' job.
func newControlPlaneMesh(o *options, log *slog.Logger, reg prometheus.Registerer) (*gossip.Mesh, error) {
	pod := envOr(contract.EnvPodName, hostname())
	gc := gossip.DefaultConfig()
	gc.Name = gossip.MemberName(o.namespace, pod, os.Getenv(contract.EnvPodUID))
	gc.Meta = gossip.Meta{Pod: pod, Namespace: o.namespace, Node: os.Getenv(contract.EnvNodeName),
		App: "meshprobe-webhook", Agent: buildinfo.Version(), Role: gossip.RoleControlPlane}
	gc.BindAddr, gc.BindPort, gc.AdvertiseAddr = o.cp.gossipBindAddr, o.gossipPort, os.Getenv(contract.EnvPodIP)
	join := o.gossipJoin
	if join == "" {
		join = webhook.DefaultGossipJoin(o.namespace, int32(o.gossipPort))
	}
	gc.Join = []string{join}
	gc.KeyFile = filepath.Join(o.cp.gossipKeyDir, contract.GossipKeySecretKey)
	gc.EchoInterval = 0
	gc.Logger, gc.Registerer = log, reg
	m, err := gossip.New(gc)
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	return m, nil
}
