package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/podexec"
)

const (
	initialBackoff = 2 * time.Second
	maxBackoff     = 40 * time.Second
)

// container is one container of a pod and its current process.
type container struct {
	spec          corev1.Container
	init, sidecar bool
	exe           string

	mu           sync.Mutex
	proc         *controlplane.Process
	startedAt    time.Time
	restarts     int32
	lastTerm     *corev1.ContainerStateTerminated
	term         *corev1.ContainerStateTerminated // current state when not restarting
	waiting      string
	waitingMsg   string
	backoff      time.Duration
	backoffUntil time.Time
	probeCancel  context.CancelFunc

	ready atomic.Bool
}

func (k *Kubelet) containerFor(ps *podState, c corev1.Container, init bool) *container {
	if ct, ok := ps.containers[c.Name]; ok {
		return ct
	}
	ct := &container{spec: c, init: init, sidecar: init && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways}
	ps.containers[c.Name] = ct
	return ct
}

// syncContainers runs init containers in order (native sidecars are started and
// kept running, the others must complete), then keeps the app containers running as
// the pod's restartPolicy says.
func (k *Kubelet) syncContainers(ctx context.Context, ps *podState, pod *corev1.Pod) {
	for _, spec := range pod.Spec.InitContainers {
		c := k.containerFor(ps, spec, true)
		if c.sidecar {
			k.ensureRunning(ctx, ps, pod, c, corev1.RestartPolicyAlways)
			if !c.running() {
				return
			}
			continue
		}
		if c.succeeded() {
			continue
		}
		policy := pod.Spec.RestartPolicy
		if policy == corev1.RestartPolicyAlways {
			policy = corev1.RestartPolicyOnFailure // init containers never restart after success
		}
		k.ensureRunning(ctx, ps, pod, c, policy)
		return // wait for it to complete
	}
	for _, spec := range pod.Spec.Containers {
		k.ensureRunning(ctx, ps, pod, k.containerFor(ps, spec, false), pod.Spec.RestartPolicy)
	}
}

func (c *container) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return false
	}
	exited, _ := c.proc.Exited()
	return !exited
}

func (c *container) succeeded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.term != nil && c.term.ExitCode == 0
}

// ensureRunning starts c when it is not running and the restart policy and back-off
// allow it, recording how the previous process ended.
func (k *Kubelet) ensureRunning(ctx context.Context, ps *podState, pod *corev1.Pod, c *container, policy corev1.RestartPolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		exited, werr := c.proc.Exited()
		if !exited {
			return
		}
		c.recordExit(werr)
		if !shouldRestart(policy, c.lastTerm.ExitCode) {
			c.term = c.lastTerm
			return
		}
	} else if c.term != nil {
		return // finished for good
	}
	if wait := time.Until(c.backoffUntil); wait > 0 {
		c.waiting, c.waitingMsg = "CrashLoopBackOff", fmt.Sprintf("back-off %s restarting failed container %s", c.backoff, c.spec.Name)
		k.queue.AddAfter(ps.key, wait)
		return
	}
	if err := k.startContainer(ctx, ps, pod, c); err != nil {
		if c.waitingMsg != err.Error() {
			k.log.Warn("container cannot start", "pod", ps.key, "container", c.spec.Name, "err", err)
		}
		c.waiting, c.waitingMsg = waitingReason(err), err.Error()
		c.backoff = nextBackoff(c.backoff)
		c.backoffUntil = time.Now().Add(c.backoff)
		k.queue.AddAfter(ps.key, c.backoff)
		return
	}
	c.waiting, c.waitingMsg = "", ""
}

func (c *container) recordExit(werr error) {
	code := int32(0)
	var exitErr *exec.ExitError
	if errors.As(werr, &exitErr) {
		code = int32(exitErr.ExitCode())
		if code < 0 { // killed by a signal
			code = 137
		}
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	c.lastTerm = &corev1.ContainerStateTerminated{
		ExitCode: code, Reason: reason,
		StartedAt: metav1.NewTime(c.startedAt.Truncate(time.Second)), FinishedAt: nowSeconds(),
		ContainerID: c.containerID(),
	}
	if c.probeCancel != nil {
		c.probeCancel()
	}
	c.ready.Store(false)
	c.proc = nil
	if time.Since(c.startedAt) > 2*maxBackoff {
		c.backoff = 0
	}
	c.backoff = nextBackoff(c.backoff)
	c.backoffUntil = time.Now().Add(c.backoff)
}

func shouldRestart(policy corev1.RestartPolicy, code int32) bool {
	switch policy {
	case corev1.RestartPolicyAlways:
		return true
	case corev1.RestartPolicyOnFailure:
		return code != 0
	default:
		return false
	}
}

func nextBackoff(b time.Duration) time.Duration {
	if b == 0 {
		return initialBackoff
	}
	return min(2*b, maxBackoff)
}

func waitingReason(err error) string {
	if errors.Is(err, errImagePull) {
		return "ErrImagePull"
	}
	return "CreateContainerError"
}

func (c *container) containerID() string {
	if c.proc == nil {
		return ""
	}
	return fmt.Sprintf("localprocess://%d", c.proc.Pid())
}

// startContainer resolves c's binary, environment and mounts and starts it.
// Called with c.mu held.
func (k *Kubelet) startContainer(ctx context.Context, ps *podState, pod *corev1.Pod, c *container) error {
	exe, args, err := k.cfg.Images.Resolve(&c.spec)
	if err != nil {
		return err
	}
	env, err := k.containerEnv(pod, &c.spec)
	if err != nil {
		return err
	}
	for i, a := range args {
		args[i] = expand(a, env)
	}
	spec := controlplane.ProcessSpec{
		Name: ps.key + "/" + c.spec.Name, LogPath: ps.logPath(c.spec.Name), Path: exe, Args: args, Dir: c.spec.WorkingDir,
	}
	if k.cfg.Network.Isolated() {
		k.isolate(&spec, ps, pod, c, env)
	} else {
		k.adaptForLoopback(&spec, ps, pod, c, env)
	}
	proc, err := controlplane.StartProcess(spec)
	if err != nil {
		return err
	}
	c.proc, c.exe, c.startedAt = proc, exe, time.Now()
	if c.lastTerm != nil {
		c.restarts++
	}
	go func() { <-proc.Done(); k.queue.Add(ps.key) }()
	pctx, cancel := context.WithCancel(ctx)
	c.probeCancel = cancel
	k.startProbes(pctx, ps, c, proc)
	k.log.Info("container started", "pod", ps.key, "container", c.spec.Name, "pid", proc.Pid(), "exe", filepath.Base(exe))
	return nil
}

// isolate runs the process through podexec: the pod's netns, its volume mounts,
// resolv.conf and hosts, hostname, uid/gid and read-only root.
func (k *Kubelet) isolate(spec *controlplane.ProcessSpec, ps *podState, pod *corev1.Pod, c *container, env map[string]string) {
	pe := podexec.Spec{
		Netns: ps.netns, Hostname: podHostname(pod), Path: spec.Path, Args: spec.Args, WorkDir: spec.Dir,
		Mounts: []podexec.Mount{
			{Source: filepath.Join(ps.dir, "resolv.conf"), Target: "/etc/resolv.conf", ReadOnly: true},
			{Source: filepath.Join(ps.dir, "hosts"), Target: "/etc/hosts", ReadOnly: true},
		},
	}
	for _, vm := range c.spec.VolumeMounts {
		if src, ok := ps.volumes[vm.Name]; ok {
			pe.Mounts = append(pe.Mounts, podexec.Mount{Source: filepath.Join(src, vm.SubPath), Target: vm.MountPath, ReadOnly: vm.ReadOnly})
		}
	}
	if !k.cfg.IgnoreRunAsUser {
		pe.UID, pe.GID = runAs(pod, &c.spec)
	}
	if sc := c.spec.SecurityContext; sc != nil {
		pe.ReadOnly = ptr.Deref(sc.ReadOnlyRootFilesystem, false)
	}
	cmd := podexec.Command(k.cfg.Images.Helper, pe)
	spec.Path, spec.Args, spec.Dir = cmd.Path, cmd.Args[1:], ""
	spec.Env = envList(env)
	spec.Configure = func(c *exec.Cmd) { c.SysProcAttr = cmd.SysProcAttr }
}

func runAs(pod *corev1.Pod, c *corev1.Container) (uid, gid *int64) {
	if psc := pod.Spec.SecurityContext; psc != nil {
		uid, gid = psc.RunAsUser, psc.RunAsGroup
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
	}
	if uid != nil && gid == nil {
		gid = uid
	}
	return uid, gid
}

// stop ends the container's process: SIGTERM, then SIGKILL after grace.
func (c *container) stop(grace time.Duration) {
	c.mu.Lock()
	proc := c.proc
	if c.probeCancel != nil {
		c.probeCancel()
	}
	c.mu.Unlock()
	if proc != nil {
		proc.Stop(grace)
	}
}
