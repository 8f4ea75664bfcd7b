package controlplane

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/meshprobe/meshprobe/integrations/gossipkeys"
	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/integrations/leader"
	"github.com/meshprobe/meshprobe/integrations/memberverify"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// leaderTasks builds the leader-only tasks. Plug new leader-only work in here.
func (cp *controlPlane) leaderTasks(o *options, client kubernetes.Interface, reg prometheus.Registerer) ([]leader.Task, error) {
	var tasks []leader.Task
	view := cp.memberView()
	hb, err := cp.heartbeatTask(o, view, reg)
	if err != nil {
		return nil, err
	}
	tasks = append(tasks, hb...)
	te, err := thousandeyes.New(teConfig(o), client, cp.log, reg)
	switch {
	case errors.Is(err, thousandeyes.ErrNotConfigured):
		cp.log.Info("ThousandEyes sync is off: no API token", "err", err)
	case err != nil:
		return nil, err
	default:
		cp.te = te
		tasks = append(tasks, leader.Task{Name: "thousandeyes", Run: te.Run})
	}
	trust, err := trustLeaderTasks(o, client, cp.log, reg)
	if err != nil {
		return nil, err
	}
	tasks = append(tasks, trust...)
	cc, err := clusterChecksTasks(o, client, cp.log, reg)
	if err != nil {
		return nil, err
	}
	tasks = append(tasks, cc...)
	if cp.mesh == nil {
		cp.log.Warn("gossip-key task is off: it needs the control plane's gossip member (--gossip)")
		return tasks, nil
	}
	gk := o.cp.gossipKeys
	gk.Namespace, gk.ExcludedNamespaces = o.namespace, excludedNamespaces(o.excludedNS, o.namespace)
	keys, err := gossipkeys.New(gk, client, view, cp.log)
	if err != nil {
		return nil, err
	}
	verify, err := memberVerifyTask(o, view, client, cp.log, reg)
	if err != nil {
		return nil, err
	}
	return append(tasks, verify, keys.Task()), nil
}

// heartbeatTask builds the heartbeat API over the shared informers and view (nil
// without a gossip member). Without a token (and without --insecure-no-auth)
// the API stays off, the rest runs.
func (cp *controlPlane) heartbeatTask(o *options, view *memberverify.View, reg prometheus.Registerer) ([]leader.Task, error) {
	if o.cp.heartbeatAddr == "0" {
		return nil, nil
	}
	cfg, err := heartbeatConfig(o, os.Getenv)
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" && !cfg.InsecureNoAuth {
		cp.log.Error("heartbeat API is off: set " + heartbeat.EnvAuthToken + " (or pass --insecure-no-auth)")
		return nil, nil
	}
	hc, err := heartbeat.NewCache(cp.factory)
	if err != nil {
		return nil, err
	}
	var mesh heartbeat.MeshView
	if view != nil {
		mesh = view
	}
	srv, err := heartbeat.NewServer(cfg, hc, mesh, cp.log, reg)
	if err != nil {
		return nil, err
	}
	return []leader.Task{{Name: "heartbeat", Run: srv.Run}}, nil
}

// heartbeatConfig is the heartbeat API's settings: the environment
// k8s-heartbeat users know (AUTH_TOKEN_BASIC, RATE_LIMIT, ...), then the flags.
func heartbeatConfig(o *options, getenv func(string) string) (heartbeat.Config, error) {
	cfg := heartbeat.DefaultConfig()
	cfg.Addr, cfg.InsecureNoAuth = o.cp.heartbeatAddr, o.cp.insecureNoAuth
	if err := cfg.LoadEnv(getenv); err != nil {
		return cfg, err
	}
	if o.cp.heartbeatRateLimit != "" {
		r, err := heartbeat.ParseRate(o.cp.heartbeatRateLimit)
		if err != nil {
			return cfg, fmt.Errorf("--heartbeat-rate-limit: %w", err)
		}
		cfg.RateLimit = r
	}
	cfg.TrustedProxies = o.cp.heartbeatTrustedProxies
	if o.cp.heartbeatFailedAuth != nil {
		cfg.FailedAuthRateLimit = *o.cp.heartbeatFailedAuth
	}
	return cfg, nil
}

func (cp *controlPlane) leaderConfig(o *options) (leader.Config, error) {
	c := leader.DefaultConfig()
	c.Namespace, c.PodName = o.namespace, os.Getenv(contract.EnvPodName)
	c.Identity = o.cp.leaderID
	if c.Identity == "" {
		c.Identity = defaultIdentity()
	}
	c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = o.cp.leaseDuration, o.cp.renewDeadline, o.cp.retryPeriod
	if o.cp.leaderPodSelector != "" {
		sel, err := labels.Parse(o.cp.leaderPodSelector)
		if err != nil {
			return c, fmt.Errorf("--leader-pod-selector %q: %w", o.cp.leaderPodSelector, err)
		}
		c.PodSelector = sel
	}
	if c.PodName == "" {
		cp.log.Warn("leader: $" + contract.EnvPodName + " is unset, so no pod gets the " + contract.LabelRole + " label")
	}
	c.EventRecorder = cp.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "meshprobe-webhook", Host: c.Identity})
	return c, nil
}

// defaultIdentity is $POD_NAME, else the host name with a random suffix.
func defaultIdentity() string {
	if pod := os.Getenv(contract.EnvPodName); pod != "" {
		return pod
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hostname() + "_" + hex.EncodeToString(b[:])
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "meshprobe-webhook"
	}
	return h
}
