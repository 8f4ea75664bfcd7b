package controlplane

import (
	"log/slog"
	"net"
	"time"
)

// Binary names that Config.BinDir must hold.
const (
	BinEtcd              = "etcd"
	BinAPIServer         = "kube-apiserver"
	BinControllerManager = "kube-controller-manager"
	BinScheduler         = "kube-scheduler"
)

// Config says what control plane to start. The zero value of every optional field
// has a working default.
type Config struct {
	// BinDir holds etcd, kube-apiserver, kube-controller-manager and kube-scheduler
	// (what hack/k8s-binaries.sh prints; usually $KUBEBUILDER_ASSETS). Required.
	BinDir string
	// Dir is where certificates, data and logs go. Required; Start creates it.
	Dir string
	// BindAddress is the address kube-apiserver listens and advertises on
	// (default 127.0.0.1). Use an address pods can reach when they need the API.
	BindAddress net.IP
	// ExtraSANs are additional IPs for the apiserver's serving certificate.
	ExtraSANs []net.IP
	// ControllerManager and Scheduler start those components as well.
	ControllerManager bool
	Scheduler         bool
	// ServiceCIDR is the Service ClusterIP range (default 10.96.0.0/16).
	ServiceCIDR string
	// ClusterCIDR is the pod range from which the controller-manager allocates
	// each Node's podCIDR (default 10.244.0.0/16, a /24 per Node).
	ClusterCIDR string
	// StartTimeout bounds the wait for each component (default 90s).
	StartTimeout time.Duration
	// ExtraAPIServerArgs are appended to kube-apiserver's flags (later flags win).
	ExtraAPIServerArgs []string
	// Logger receives progress messages (default: discard).
	Logger *slog.Logger
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.BindAddress == nil {
		out.BindAddress = net.IPv4(127, 0, 0, 1)
	}
	if out.ServiceCIDR == "" {
		out.ServiceCIDR = "10.96.0.0/16"
	}
	if out.ClusterCIDR == "" {
		out.ClusterCIDR = "10.244.0.0/16"
	}
	if out.StartTimeout == 0 {
		out.StartTimeout = 90 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	return out
}
