package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// podState is what the agent keeps for one running pod. Only the worker that holds
// the pod's key touches it (the workqueue never hands one key to two workers), except
// the prober fields, which are atomic.
type podState struct {
	key, uid   string
	dir        string
	netns      string
	cidrIP, ip string
	startTime  metav1.Time
	volumes    map[string]string // volume name -> host directory
	volumeErr  error
	containers map[string]*container
	mountDirs  []string
}

func (k *Kubelet) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := k.pods.Pods(ns).Get(name)
	ps := k.lookup(key)
	if apierrors.IsNotFound(err) {
		if ps != nil {
			k.forget(key)
			k.teardown(ps, 0)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if ps != nil && ps.uid != string(pod.UID) { // deleted and recreated under the same name
		k.forget(key)
		k.teardown(ps, 0)
		ps = nil
	}
	if pod.DeletionTimestamp != nil {
		return k.finishDeletion(ctx, key, ps, pod)
	}
	if ps == nil {
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			return nil
		}
		if ps, err = k.createSandbox(pod); err != nil {
			return err
		}
	}
	pod = withSandboxStatus(pod, ps, k.NodeIP())
	ps.volumeErr = k.syncVolumes(ctx, ps, pod)
	if ps.volumeErr == nil {
		k.syncContainers(ctx, ps, pod)
	}
	if err := k.updateStatus(ctx, ps, pod); err != nil {
		return err
	}
	return ps.volumeErr
}

func (k *Kubelet) lookup(key string) *podState {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.state[key]
}

func (k *Kubelet) forget(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.state, key)
}

func (k *Kubelet) createSandbox(pod *corev1.Pod) (*podState, error) {
	key := pod.Namespace + "/" + pod.Name
	cidrIP, err := k.ips.allocate(key)
	if err != nil {
		return nil, err
	}
	ps := &podState{
		key: key, uid: string(pod.UID), cidrIP: cidrIP, ip: k.cfg.Network.PodIP(cidrIP),
		dir:       filepath.Join(k.cfg.Dir, "pods", fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID)),
		startTime: nowSeconds(), volumes: map[string]string{}, containers: map[string]*container{},
	}
	if err := os.MkdirAll(filepath.Join(ps.dir, "logs"), 0o755); err != nil {
		k.ips.release(cidrIP)
		return nil, err
	}
	if err := k.writeNetworkFiles(ps, pod); err != nil {
		k.ips.release(cidrIP)
		return nil, err
	}
	if ps.netns, err = k.cfg.Network.AddPod(ps.key+"/"+ps.uid, ps.ip); err != nil {
		k.ips.release(cidrIP)
		return nil, err
	}
	k.mu.Lock()
	k.state[key] = ps
	k.mu.Unlock()
	k.log.Info("pod sandbox ready", "pod", key, "ip", ps.ip, "netns", ps.netns)
	return ps, nil
}

// writeNetworkFiles writes the pod's resolv.conf (cluster DNS with the usual search
// path and ndots:5) and hosts file.
func (k *Kubelet) writeNetworkFiles(ps *podState, pod *corev1.Pod) error {
	d := k.cfg.ClusterDomain
	resolv := fmt.Sprintf("search %s.svc.%s svc.%s %s\nnameserver %s\noptions ndots:5\n",
		pod.Namespace, d, d, d, k.cfg.Nameserver)
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", ps.ip, podHostname(pod))
	for name, data := range map[string]string{"resolv.conf": resolv, "hosts": hosts} {
		if err := os.WriteFile(filepath.Join(ps.dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// finishDeletion stops a gracefully deleted pod's processes within its grace period
// and then removes the pod object, as the kubelet does.
func (k *Kubelet) finishDeletion(ctx context.Context, key string, ps *podState, pod *corev1.Pod) error {
	if ps != nil {
		grace := time.Duration(ptr.Deref(pod.DeletionGracePeriodSeconds, 30)) * time.Second
		k.forget(key)
		k.teardown(ps, grace)
	}
	err := k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: ptr.To(types.UID(pod.UID))},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting pod %s: %w", key, err)
	}
	return nil
}

// teardown stops the app containers, then the sidecars (last started, first
// stopped), each with SIGTERM then SIGKILL after grace, and removes the sandbox.
func (k *Kubelet) teardown(ps *podState, grace time.Duration) {
	if grace <= 0 {
		grace = time.Second
	}
	var apps, sidecars []*container
	for _, c := range ps.containers {
		if c.init {
			sidecars = append(sidecars, c)
		} else {
			apps = append(apps, c)
		}
	}
	for _, group := range [][]*container{apps, sidecars} {
		var wg sync.WaitGroup
		for _, c := range group {
			wg.Add(1)
			go func() { defer wg.Done(); c.stop(grace) }()
		}
		wg.Wait()
	}
	if err := k.cfg.Network.DelPod(ps.key + "/" + ps.uid); err != nil {
		k.log.Warn("removing pod sandbox", "pod", ps.key, "err", err)
	}
	k.ips.release(ps.cidrIP)
	k.tokens.forget(ps.uid)
	if err := os.RemoveAll(ps.dir); err != nil {
		k.log.Warn("removing pod directory", "pod", ps.key, "err", err)
	}
	k.log.Info("pod stopped", "pod", ps.key)
}

// podLogPath is where a container's output goes.
func (ps *podState) logPath(container string) string {
	return filepath.Join(ps.dir, "logs", strings.ReplaceAll(container, "/", "_")+".log")
}

// withSandboxStatus returns pod with the sandbox's addresses in its status, so that
// env and Downward API references to status.podIP resolve before the status is
// written (the kubelet, too, takes them from the sandbox).
func withSandboxStatus(pod *corev1.Pod, ps *podState, hostIP string) *corev1.Pod {
	if pod.Status.PodIP == ps.ip && pod.Status.HostIP == hostIP {
		return pod
	}
	p := pod.DeepCopy()
	p.Status.PodIP, p.Status.PodIPs = ps.ip, []corev1.PodIP{{IP: ps.ip}}
	p.Status.HostIP, p.Status.HostIPs = hostIP, []corev1.HostIP{{IP: hostIP}}
	return p
}
