package kubelet

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// startProbes runs c's readiness and liveness probes until ctx ends. Without a
// readiness probe a running container is ready. A liveness probe that fails
// failureThreshold times in a row stops the process, which is then restarted.
// Exec and gRPC probes are not supported locally and count as passing.
func (k *Kubelet) startProbes(ctx context.Context, ps *podState, c *container, proc *controlplane.Process) {
	if c.spec.ReadinessProbe == nil {
		c.ready.Store(true)
	} else {
		go k.probeLoop(ctx, ps, c, c.spec.ReadinessProbe, true, func(ok bool) {
			if c.ready.Swap(ok) != ok {
				k.queue.Add(ps.key)
			}
		})
	}
	if c.spec.LivenessProbe != nil {
		go k.probeLoop(ctx, ps, c, c.spec.LivenessProbe, false, func(ok bool) {
			if !ok {
				k.log.Info("liveness probe failed; restarting container", "pod", ps.key, "container", c.spec.Name)
				go proc.Stop(10 * time.Second)
			}
		})
	}
}

// probeLoop reports the probe's verdict after each run, applying the success and
// failure thresholds. A readiness probe is retried quickly until it first passes (a
// starting process is usually up within a second); liveness keeps its period.
func (k *Kubelet) probeLoop(ctx context.Context, ps *podState, c *container, p *corev1.Probe, readiness bool, report func(bool)) {
	period := secondsOr(p.PeriodSeconds, 10)
	timeout := secondsOr(p.TimeoutSeconds, 1)
	success, failure := int(max(p.SuccessThreshold, 1)), int(max(p.FailureThreshold, 3))
	if !sleepCtx(ctx, time.Duration(p.InitialDelaySeconds)*time.Second) {
		return
	}
	passes, fails, everPassed := 0, 0, false
	for {
		err := probeOnce(ctx, ps.ip, c, p, timeout)
		if err == nil {
			everPassed = true
			passes, fails = passes+1, 0
			if passes >= success {
				report(true)
			}
		} else {
			passes, fails = 0, fails+1
			if fails >= failure {
				report(false)
			}
		}
		wait := period
		if readiness && !everPassed && passes == 0 {
			wait = min(period, 500*time.Millisecond)
		}
		if !sleepCtx(ctx, wait) {
			return
		}
	}
}

func probeOnce(ctx context.Context, podIP string, c *container, p *corev1.Probe, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case p.HTTPGet != nil:
		return probeHTTP(ctx, podIP, c, p.HTTPGet)
	case p.TCPSocket != nil:
		port, err := resolvePort(c, p.TCPSocket.Port)
		if err != nil {
			return err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = podIP
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	default:
		return nil
	}
}

func probeHTTP(ctx context.Context, podIP string, c *container, g *corev1.HTTPGetAction) error {
	port, err := resolvePort(c, g.Port)
	if err != nil {
		return err
	}
	host := g.Host
	if host == "" {
		host = podIP
	}
	scheme := "http"
	if g.Scheme == corev1.URISchemeHTTPS {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, strconv.Itoa(port)), g.Path), nil)
	if err != nil {
		return err
	}
	for _, h := range g.HTTPHeaders {
		req.Header.Set(h.Name, h.Value)
	}
	req.Header.Set("User-Agent", "kube-probe/1.37")
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the kubelet does not verify probe targets either
		DisableKeepAlives: true,
	}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe: %s", resp.Status)
	}
	return nil
}

func resolvePort(c *container, port intstr.IntOrString) (int, error) {
	if port.Type == intstr.Int {
		return port.IntValue(), nil
	}
	for _, p := range c.spec.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("probe port %q: no such named port", port.StrVal)
}

func secondsOr(v int32, def int32) time.Duration {
	if v <= 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
