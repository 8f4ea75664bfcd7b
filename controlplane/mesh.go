package controlplane

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/integrations/memberverify"
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

// memberView is the leader's mesh with impostors left out (members whose
// claimed pod does not check out against the shared pod cache), for the
// heartbeat verdicts and the key-rotation gate; nil without a gossip member.
func (cp *controlPlane) memberView() *memberverify.View {
	if cp.mesh == nil {
		return nil
	}
	pods := cp.factory.Core().V1().Pods()
	return memberverify.NewView(cp.mesh, pods.Lister(), pods.Informer().HasSynced)
}

// memberVerifyTask is the leader task that reports the view's impostors, with
// Events about members claiming pods that do not exist on this replica's pod.
func memberVerifyTask(o *options, view *memberverify.View, client kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) (leader.Task, error) {
	cfg := memberverify.DefaultConfig()
	cfg.Namespace, cfg.PodName = o.namespace, os.Getenv(contract.EnvPodName)
	r, err := memberverify.NewReporter(cfg, view, client, log, reg)
	if err != nil {
		return leader.Task{}, fmt.Errorf("control plane: %w", err)
	}
	return r.Task(), nil
}
