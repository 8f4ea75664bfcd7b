package kubelet

import (
	"path/filepath"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// EnvPodIP is set in every container: the pod's address, for processes that must bind
// it explicitly (the test app, and everything in loopback mode).
const EnvPodIP = "LOCALCLUSTER_POD_IP"

// Sidecar bind-address variables set in loopback mode (see sidecar.Config).
const (
	envSidecarGossipBind = "MESHPROBE_GOSSIP_BIND_ADDR"
	envSidecarHTTPAddr   = "MESHPROBE_HTTP_ADDR"
)

var svcAddr = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.[a-z.]+)?):([0-9]+)$`)

// adaptForLoopback is the non-root fallback: without mount or network namespaces the
// process runs in the host's, so (1) env values and args that name a volume's mount
// path are rewritten to the volume's host directory, (2) meshprobe's sidecar is told
// to bind the pod's own 127.x.y.z address, and (3) "<svc>.<ns>.svc:port" addresses
// in env values, which the host resolver cannot resolve, become the Service's
// endpoint addresses. Each is a documented deviation from a real kubelet.
func (k *Kubelet) adaptForLoopback(spec *controlplane.ProcessSpec, ps *podState, _ *corev1.Pod, c *container, env map[string]string) {
	rewrite := k.mountRewriter(ps, c)
	for name, v := range env {
		env[name] = k.resolveServices(rewrite(v))
	}
	for i, a := range spec.Args {
		spec.Args[i] = rewrite(a)
	}
	for _, name := range []string{envSidecarGossipBind, envSidecarHTTPAddr} {
		if _, set := env[name]; !set {
			env[name] = ps.ip
		}
	}
	env[EnvPodIP] = ps.ip
	spec.Env = envList(env)
}

func (k *Kubelet) mountRewriter(ps *podState, c *container) func(string) string {
	type pair struct{ from, to string }
	var pairs []pair
	for _, vm := range c.spec.VolumeMounts {
		if src, ok := ps.volumes[vm.Name]; ok {
			pairs = append(pairs, pair{vm.MountPath, filepath.Join(src, vm.SubPath)})
		}
	}
	return func(s string) string {
		for _, p := range pairs {
			if s == p.from || strings.HasPrefix(s, p.from+"/") {
				return p.to + strings.TrimPrefix(s, p.from)
			}
			// --flag=/mount/path style arguments
			if i := strings.Index(s, "="+p.from); i >= 0 && (len(s) == i+1+len(p.from) || s[i+1+len(p.from)] == '/') {
				return s[:i+1] + p.to + s[i+1+len(p.from):]
			}
		}
		return s
	}
}

// resolveServices rewrites a comma-separated list of <svc>.<ns>.svc:port addresses
// to the endpoints' ip:port, when the cluster DNS knows them.
func (k *Kubelet) resolveServices(v string) string {
	if k.cfg.Resolve == nil || !strings.Contains(v, ".svc") {
		return v
	}
	parts := strings.Split(v, ",")
	var out []string
	for _, p := range parts {
		m := svcAddr.FindStringSubmatch(strings.TrimSpace(p))
		if m == nil {
			out = append(out, p)
			continue
		}
		ips := k.cfg.Resolve(m[1])
		if len(ips) == 0 {
			out = append(out, p)
			continue
		}
		for _, ip := range ips {
			out = append(out, ip+":"+m[5])
		}
	}
	return strings.Join(out, ",")
}
