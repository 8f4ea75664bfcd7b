package controlplane

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/meshprobe/meshprobe/internal/buildinfo"
	"github.com/meshprobe/meshprobe/webhook"
)

// webhookConfig turns the options into a validated webhook.Config.
func (o *options) webhookConfig(nativeSidecar bool) (webhook.Config, error) {
	cfg := webhook.DefaultConfig()
	cfg.Image = o.sidecarImage
	cfg.ImagePullPolicy = corev1.PullPolicy(o.sidecarPullPolicy)
	cfg.GossipPort, cfg.HTTPPort = int32(o.gossipPort), int32(o.httpPort)
	if o.gossipPort != int(cfg.GossipPort) || o.httpPort != int(cfg.HTTPPort) {
		return cfg, errors.New("--gossip-port and --http-port must be 1-65535")
	}
	cfg.GossipJoin = o.gossipJoin
	if cfg.GossipJoin == "" {
		cfg.GossipJoin = webhook.DefaultGossipJoin(o.namespace, cfg.GossipPort)
	}
	cfg.RunAsUser = o.sidecarRunAsUser
	cfg.ExcludedNamespaces = excludedNamespaces(o.excludedNS, o.namespace)
	cfg.NativeSidecar = nativeSidecar
	cfg.Version = buildinfo.Version()
	res, err := o.resources()
	if err != nil {
		return cfg, err
	}
	cfg.Resources = res
	if err := o.sidecarDefaults.apply(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func (o *options) resources() (corev1.ResourceRequirements, error) {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	for _, q := range []struct {
		flag, value string
		list        corev1.ResourceList
		name        corev1.ResourceName
	}{
		{"sidecar-cpu-request", o.sidecarCPUReq, r.Requests, corev1.ResourceCPU},
		{"sidecar-memory-request", o.sidecarMemReq, r.Requests, corev1.ResourceMemory},
		{"sidecar-cpu-limit", o.sidecarCPULim, r.Limits, corev1.ResourceCPU},
		{"sidecar-memory-limit", o.sidecarMemLim, r.Limits, corev1.ResourceMemory},
	} {
		if q.value == "" {
			continue
		}
		v, err := resource.ParseQuantity(q.value)
		if err != nil {
			return r, fmt.Errorf("--%s %q: %w", q.flag, q.value, err)
		}
		q.list[q.name] = v
	}
	return r, nil
}

func excludedNamespaces(list, own string) []string {
	var out []string
	for ns := range strings.SplitSeq(list, ",") {
		if ns = strings.TrimSpace(ns); ns != "" && ns != own {
			out = append(out, ns)
		}
	}
	return append(out, own)
}
